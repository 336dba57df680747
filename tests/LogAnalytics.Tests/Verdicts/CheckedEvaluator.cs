using System.Collections.Concurrent;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Verdicts;

/// <summary>The <see cref="ExperimentEvaluator"/> of the unit tests that build verdicts: every verdict it returns has
/// been checked against schema/verdict.v1.json (<see cref="VerdictContract.AssertValid"/>), so whatever decision path a
/// test reaches is held to the published contract without the test asking.
/// A simulation judges thousands of looks; made with <c>everyVerdict: false</c> it checks a verdict only when its shape
/// is new to this evaluator (decision, each check's metric and outcome, which optional sections are present), a few
/// dozen checks instead of thousands.</summary>
internal sealed class CheckedEvaluator(ExperimentEvaluator inner, bool everyVerdict = true)
{
    private readonly ConcurrentDictionary<string, bool> _shapes = new(StringComparer.Ordinal);
    private long _checked;

    /// <summary><see cref="ExperimentEvaluator.CreateDefault"/>, checked.</summary>
    public static CheckedEvaluator CreateDefault(bool planWhileWaiting = true, bool everyVerdict = true) =>
        new(ExperimentEvaluator.CreateDefault(planWhileWaiting), everyVerdict);

    /// <summary>The evaluator it checks.</summary>
    public ExperimentEvaluator Inner => inner;

    /// <summary>The metric names the evaluator knows.</summary>
    public IReadOnlySet<string> Metrics => inner.Metrics;

    /// <summary>Verdicts checked against the schema so far.</summary>
    public long Checked => Interlocked.Read(ref _checked);

    /// <summary><see cref="ExperimentEvaluator.Evaluate"/>, and the verdict checked against the schema.</summary>
    public Verdict Evaluate(ExperimentDefinition experiment, ExperimentSample sample, PreviousDecision? previous)
    {
        var verdict = inner.Evaluate(experiment, sample, previous);
        if (everyVerdict || _shapes.TryAdd(Shape(verdict), true))
        {
            VerdictContract.AssertValid(verdict);
            Interlocked.Increment(ref _checked);
        }
        return verdict;
    }

    private static string Shape(Verdict v) => string.Join('|',
        v.Decision, v.NextStage is null, v.Estimate is null, v.Estimate?.Plan is null, v.Cost is null, v.Validation is null,
        v.Errors is null, v.Strata is null, v.Srm.Ok, v.Srm.PValue is null,
        string.Join(',', v.Checks.Select(c => $"{c.Metric}:{c.Outcome}")));
}
