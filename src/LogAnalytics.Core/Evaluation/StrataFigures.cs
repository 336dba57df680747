using System.Globalization;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>Builds the verdict's <c>strata</c> extension from the sample and the judged guardrails.</summary>
internal static class StrataFigures
{
    /// <summary>Adds to each stratified check's reason which models it was compared within and how many requests each
    /// side had of them.</summary>
    public static IReadOnlyList<JudgedGuardrail> Annotate(IReadOnlyList<JudgedGuardrail> judged, ExperimentSample sample) =>
        judged.Select(j => j.Estimate?.Models is { Compared.Count: > 0 } models
            ? j with { Check = j.Check with { Reason = j.Check.Reason + " Compared within model: " + string.Join(", ", models.Compared.Select(m =>
                string.Create(CultureInfo.InvariantCulture, $"{m} ({Count(sample.Baseline, m):N0} baseline / {Count(sample.Canary, m):N0} canary)"))) + "." } }
            : j).ToList();

    private static long Count(ArmSample arm, string model) => arm.ByModel.TryGetValue(model, out var part) ? part.Requests : 0;

    /// <summary>The per-model figures; null when the requests carry fewer than two models.</summary>
    public static VerdictStrata? Of(ExperimentSample sample, IReadOnlyList<JudgedGuardrail> judged)
    {
        var models = sample.Baseline.ByModel.Keys.Union(sample.Canary.ByModel.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (models.Count < 2)
        {
            return null;
        }
        var figures = models
            .Select(m => new StratumFigures(m, Count(sample.Baseline, m), Count(sample.Canary, m)))
            .OrderByDescending(f => f.Canary).ThenByDescending(f => f.Baseline).ThenBy(f => f.Model, StringComparer.Ordinal)
            .ToList();
        var checks = judged
            .Where(j => j.Estimate?.Models is not null)
            .ToDictionary(j => j.Check.Metric, j => new StratifiedCheckFigures(j.Estimate!.Models!.Compared, j.Estimate.Models.PooledBecause), StringComparer.Ordinal);
        return new VerdictStrata("model", figures, checks);
    }
}
