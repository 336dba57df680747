using LogAnalytics.Cli;
using LogAnalytics.Cli.Watch;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Cli;

/// <summary>The watch dashboard's rendering: the same figures in the table and in the plain lines.</summary>
public sealed class WatchViewTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 20, 12, 0, 5, TimeSpan.Zero);

    private static Verdict Verdict() => new()
    {
        Experiment = "checkout", Decision = Decisions.NoGo, CurrentStage = 5, EvaluatedAt = At,
        Window = new VerdictWindow(At.AddHours(-1), At), Samples = new VerdictSamples(12_000, 600), Srm = new SrmCheck(0.05, 0.048, 0.4, true),
        Checks =
        [
            new MetricCheck { Metric = "error_rate", Baseline = 0.01, Canary = 0.05, RelativeChange = 4, CiLow = 0.021, CiHigh = 0.059, Margin = 0.005, Scale = "absolute", Test = "t", Outcome = Outcomes.Fail, Reason = "r" },
            new MetricCheck { Metric = "latency_p50", Baseline = 400, Canary = 410, RelativeChange = 0.025, CiLow = -0.05, CiHigh = 0.08, Margin = 0.1, Scale = "relative", Test = "t", Outcome = Outcomes.Inconclusive, Reason = "r" },
        ],
        Reasons = ["error_rate fails"],
    };

    [Fact]
    public void Plain_lines_carry_stage_decision_samples_each_guardrails_change_and_interval_and_the_group()
    {
        var snapshot = new WatchSnapshot(At, [Verdict()], null, new GroupProgress("workers", 1234, 56.78, 3, null));
        var lines = WatchView.PlainLines(snapshot).ToList();
        Assert.Equal("[12:00:05] consumer group workers: lag 1,234 messages on 3 partitions, 56.8 events/s", lines[0]);
        Assert.Equal("[12:00:05] checkout: stage 5 %, decision no_go, baseline 12,000, canary 600; error_rate +400 % [+2.1 pp, +5.9 pp] fail; latency_p50 +2.5 % [-5 %, +8 %] inconclusive", lines[1]);
    }

    [Fact]
    public void Without_verdicts_or_lag_the_lines_say_why()
    {
        var lines = WatchView.PlainLines(new WatchSnapshot(At, [], "no verdict topic to read yet (v: unknown topic)", new GroupProgress("workers", null, null, 0, "t: unknown topic"))).ToList();
        Assert.Equal(["[12:00:05] consumer group workers: lag unavailable (t: unknown topic)", "[12:00:05] no verdict topic to read yet (v: unknown topic)"], lines);
    }

    [Fact]
    public void The_table_shows_the_same_figures()
    {
        var text = new StringWriter();
        Terminal.Write(WatchView.Table(new WatchSnapshot(At, [Verdict()], null, new GroupProgress("workers", 1234, 56.78, 3, null))), text, interactive: false);
        var table = text.ToString();
        foreach (var expected in new[] { "checkout", "no_go", "12,000", "600", "error_rate +400 % [+2.1 pp, +5.9 pp] fail", "latency_p50 +2.5 % [-5 %, +8 %]", "lag 1,234 messages" })
        {
            Assert.Contains(expected, table);
        }
    }
}
