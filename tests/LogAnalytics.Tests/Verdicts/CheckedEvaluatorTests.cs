using LogAnalytics.Experiments;
using LogAnalytics.Kpis;

namespace LogAnalytics.Tests.Verdicts;

/// <summary>The unit tests' checked evaluator validates what it should: every verdict, or in a simulation each new shape once.</summary>
public sealed class CheckedEvaluatorTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static ExperimentSample Sample(int canaryRequests) => new()
    {
        Experiment = "checked",
        AsOf = Start.AddHours(2),
        Stage = new StageInfo(5, Start, StageSource.Event),
        Baseline = new ArmSample(["legacy"], Enumerable.Range(0, 1900).Select(i => 800.0 + i % 97).Order().ToArray(), new Dictionary<string, long>()),
        Canary = new ArmSample(["holy_sheep"], Enumerable.Range(0, canaryRequests).Select(i => 800.0 + i % 97).Order().ToArray(), new Dictionary<string, long>()),
    };

    [Fact]
    public void It_checks_every_verdict_or_in_a_simulation_each_new_shape_once()
    {
        var experiment = ExperimentCatalog.Defaults("checked");
        var every = CheckedEvaluator.CreateDefault();
        var shapes = CheckedEvaluator.CreateDefault(everyVerdict: false);
        foreach (var evaluator in new[] { every, shapes })
        {
            evaluator.Evaluate(experiment, Sample(100), null);
            evaluator.Evaluate(experiment, Sample(100), null); // the same shape again
            evaluator.Evaluate(experiment, Sample(0), null);   // no canary yet: another shape
        }
        Assert.Equal(3, every.Checked);
        Assert.Equal(2, shapes.Checked);
    }
}
