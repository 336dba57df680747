using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>The misconfiguration rule at its boundaries: at least 20 auth or bad-request failures, at least 5 % of the
/// canary, and more than 5 times the baseline's share; other error classes never count.</summary>
public sealed class ConfigurationMistakeBoundaryTests
{
    private static readonly DateTimeOffset StageStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly ExperimentDefinition Experiment = ExperimentCatalog.Defaults("exp") with
    {
        MinDwell = [TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.Zero],
        MinSamples = 100,
        UsesDefaults = false,
    };

    private static ArmSample Arm(int n, string cls, long errors) =>
        new(["e"], Enumerable.Repeat(100.0, n).ToArray(), new Dictionary<string, long> { [cls] = errors });

    private static string Decide(int canary, long canaryErrors, int baseline = 7_600, long baselineErrors = 0, string cls = "auth")
    {
        var sample = new ExperimentSample
        {
            Experiment = "exp",
            AsOf = StageStart.AddMinutes(30),
            Stage = new StageInfo(5, StageStart, StageSource.Event),
            Baseline = Arm(baseline, cls, baselineErrors),
            Canary = Arm(canary, cls, canaryErrors),
        };
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment, sample, new SrmCheck(0.05, 0.05, 1, true), [], null);
        return decision == Decisions.NoGo && reasons[0].Contains("misconfigured", StringComparison.Ordinal) ? "misconfigured" : decision;
    }

    [Theory]
    [InlineData("auth")]
    [InlineData("bad_request")]
    public void Twenty_failures_at_5_percent_are_a_mistake_and_nineteen_are_not(string cls)
    {
        Assert.Equal("misconfigured", Decide(400, 20, cls: cls));
        Assert.NotEqual("misconfigured", Decide(380, 19, cls: cls));
    }

    [Fact]
    public void A_share_of_4_9_percent_is_not_a_mistake_and_5_percent_is()
    {
        Assert.NotEqual("misconfigured", Decide(408, 20)); // 4.90 %
        Assert.Equal("misconfigured", Decide(400, 20));    // 5.00 %
    }

    [Fact]
    public void The_canary_share_must_exceed_five_times_the_baselines()
    {
        // Canary 10 % (40 of 400). Baseline exactly 2 %: 5x is 10 %, not exceeded. Baseline 1.99 %: exceeded.
        Assert.NotEqual("misconfigured", Decide(400, 40, baseline: 10_000, baselineErrors: 200));
        Assert.Equal("misconfigured", Decide(400, 40, baseline: 10_000, baselineErrors: 199));
    }

    [Theory]
    [InlineData("server")]
    [InlineData("rate_limit")]
    [InlineData("timeout_transport")]
    public void Other_error_classes_are_never_called_a_configuration_mistake(string cls)
    {
        Assert.NotEqual("misconfigured", Decide(400, 200, cls: cls));
    }
}
