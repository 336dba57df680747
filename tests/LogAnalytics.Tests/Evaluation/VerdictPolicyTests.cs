using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

public sealed class VerdictPolicyTests
{
    private static readonly DateTimeOffset StageStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static ExperimentDefinition Experiment(TimeSpan? dwell = null, int minSamples = 100) => ExperimentCatalog.Defaults("exp") with
    {
        BaselineEndpoint = "legacy",
        CanaryEndpoint = "holy_sheep",
        MinDwell = [dwell ?? TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.Zero],
        MinSamples = minSamples,
        UsesDefaults = false,
    };

    private static ArmSample Arm(int n, string endpoint, Dictionary<string, long>? errors = null) =>
        new([endpoint], Enumerable.Range(0, n).Select(i => 100.0 + i % 50).ToArray(), errors ?? new Dictionary<string, long>());

    private static ExperimentSample Sample(int baseline, int canary, TimeSpan? age = null, Dictionary<string, long>? canaryErrors = null, long unassigned = 0) => new()
    {
        Experiment = "exp",
        AsOf = StageStart + (age ?? TimeSpan.FromHours(2)),
        Stage = new StageInfo(5, StageStart, StageSource.Event),
        Baseline = baseline == 0 ? ArmSample.Empty : Arm(baseline, "legacy"),
        Canary = canary == 0 ? ArmSample.Empty : Arm(canary, "holy_sheep", canaryErrors),
        Unassigned = unassigned,
        UnassignedEndpoints = unassigned > 0 ? ["mystery"] : [],
    };

    private static readonly SrmCheck SrmOk = new(0.05, 0.05, 0.5, true);

    private static JudgedGuardrail Check(string metric, string outcome) => new(new MetricCheck
    {
        Metric = metric,
        Margin = 0.1,
        Scale = "relative",
        Test = "test",
        Outcome = outcome,
        Reason = $"{metric} is {outcome}.",
    }, null, null);

    private static IReadOnlyList<JudgedGuardrail> AllPass() =>
        [Check(MetricNames.LatencyP99, Outcomes.Pass), Check(MetricNames.ErrorRate, Outcomes.Pass)];

    [Fact]
    public void No_data_at_all_is_wait_never_go()
    {
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(0, 0), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, decision);
        Assert.Contains("No requests", reasons[0]);
    }

    [Fact]
    public void No_canary_data_is_wait_even_when_checks_say_pass()
    {
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(5000, 0), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, decision);
        Assert.Contains("No canary requests", reasons[0]);
        Assert.Contains("holy_sheep", reasons[0]);
    }

    [Fact]
    public void Unassigned_traffic_without_sides_says_so_plainly()
    {
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(0, 0, unassigned: 42), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, decision);
        Assert.Contains("Cannot tell baseline from canary", reasons[0]);
        Assert.Contains("mystery", reasons[0]);
    }

    [Fact]
    public void Broken_split_is_wait_even_when_every_guardrail_passes()
    {
        var srm = new SrmCheck(0.05, 0.09, 1e-12, false);
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(5000, 500), srm, AllPass(), null);
        Assert.Equal(Decisions.Wait, decision);
        Assert.Contains("sample ratio mismatch", reasons[0]);
    }

    [Fact]
    public void A_failed_guardrail_is_no_go_with_its_reason_first()
    {
        IReadOnlyList<JudgedGuardrail> checks = [Check(MetricNames.LatencyP99, Outcomes.Fail), Check(MetricNames.ErrorRate, Outcomes.Pass)];
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, checks, null);
        Assert.Equal(Decisions.NoGo, decision);
        Assert.Equal("latency_p99 is fail.", reasons[0]);
    }

    [Fact]
    public void Go_needs_dwell_samples_and_all_passes()
    {
        Assert.Equal(Decisions.Go, VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, AllPass(), null).Decision);

        var (early, reasons, estimate) = VerdictPolicy.Decide(Experiment(dwell: TimeSpan.FromHours(48)), Sample(5000, 500), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, early);
        Assert.Contains(reasons, r => r.Contains("minimum 2 d", StringComparison.Ordinal));
        Assert.NotNull(estimate);
        Assert.Equal(46, estimate!.AdditionalHours);

        var (few, fewReasons, _) = VerdictPolicy.Decide(Experiment(minSamples: 1000), Sample(5000, 500), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, few);
        Assert.Contains(fewReasons, r => r.Contains("Too few requests", StringComparison.Ordinal));

        IReadOnlyList<JudgedGuardrail> unsure = [Check(MetricNames.LatencyP99, Outcomes.Inconclusive), Check(MetricNames.ErrorRate, Outcomes.Pass)];
        Assert.Equal(Decisions.Wait, VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, unsure, null).Decision);
    }

    [Fact]
    public void No_go_holds_for_the_stage_even_when_later_data_looks_fine()
    {
        var previous = new PreviousDecision(Decisions.NoGo, StageStart, StageStart.AddHours(1), "p99 was 40 % worse.");
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, AllPass(), previous);
        Assert.Equal(Decisions.NoGo, decision);
        Assert.Contains("p99 was 40 % worse.", reasons[0]);

        // A new stage (announced by rollout tooling) starts afresh.
        var older = previous with { StageStartedAt = StageStart.AddDays(-3) };
        Assert.Equal(Decisions.Go, VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, AllPass(), older).Decision);
    }

    [Fact]
    public void Go_does_not_swing_back_to_wait_when_a_guardrail_turns_inconclusive()
    {
        var previous = new PreviousDecision(Decisions.Go, StageStart, StageStart.AddHours(1), "all pass");
        IReadOnlyList<JudgedGuardrail> unsure = [Check(MetricNames.LatencyP99, Outcomes.Inconclusive), Check(MetricNames.ErrorRate, Outcomes.Pass)];
        Assert.Equal(Decisions.Go, VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, unsure, previous).Decision);

        IReadOnlyList<JudgedGuardrail> failing = [Check(MetricNames.LatencyP99, Outcomes.Fail)];
        Assert.Equal(Decisions.NoGo, VerdictPolicy.Decide(Experiment(), Sample(5000, 500), SrmOk, failing, previous).Decision);
    }

    [Theory]
    [InlineData("auth", "API key")]
    [InlineData("bad_request", "model alias")]
    public void A_burst_of_auth_or_model_errors_on_the_canary_is_no_go_at_once(string errorClass, string advice)
    {
        var errors = new Dictionary<string, long> { [errorClass] = 60 };
        // Dwell not met and too few samples: the mistake does not wait for statistics.
        var (decision, reasons, _) = VerdictPolicy.Decide(Experiment(dwell: TimeSpan.FromDays(2), minSamples: 10_000), Sample(5000, 300, canaryErrors: errors), SrmOk, [], null);
        Assert.Equal(Decisions.NoGo, decision);
        Assert.Contains(advice, reasons[0]);
    }

    [Fact]
    public void An_unconfigured_experiment_says_defaults_were_used_after_the_main_reason()
    {
        var experiment = Experiment() with { UsesDefaults = true };
        var (decision, reasons, _) = VerdictPolicy.Decide(experiment, Sample(5000, 0), SrmOk, AllPass(), null);
        Assert.Equal(Decisions.Wait, decision);
        Assert.Contains("No canary requests", reasons[0]);
        Assert.Contains("default settings were used", reasons[^1]);
    }
}
