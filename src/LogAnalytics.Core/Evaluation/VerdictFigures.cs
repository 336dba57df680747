using LogAnalytics.Kpis;
using LogAnalytics.Statistics;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>The descriptive sections of a verdict (cost, validation, errors) from a sample. Pure.</summary>
internal static class VerdictFigures
{
    public static VerdictCost? Cost(ExperimentSample sample)
    {
        var (b, c) = (sample.Baseline.Cost, sample.Canary.Cost);
        var anyData = b.PricedFromData + c.PricedFromData > 0 || b.RequestsWithTokens + c.RequestsWithTokens > 0;
        if (!anyData)
        {
            return null;
        }
        var projection = CostProjection.Of(sample);
        return new VerdictCost(Figures(b), Figures(c), projection is null ? null
            : new MonthlyCost(Math.Round(projection.MonthlyRequests), Round(projection.AllOnBaselineUsd), Round(projection.AllOnCanaryUsd), Round(projection.CurrentSplitUsd)));
    }

    private static CostFigures Figures(ArmCost cost) => new(
        cost.CostPerRequestUsd,
        cost.CostPerRequestUsd * 1000,
        cost.TokensPerRequest,
        cost.Priced,
        cost.Unpriced,
        cost.UnpricedBySource,
        cost.ModelsWithoutPrice,
        cost.ByModel.Select(m => new ModelCostFigures(m.Model, m.Requests, m.Priced, m.CostPerRequestUsd, m.Requests == 0 ? null : (double)m.Tokens / m.Requests)).ToList());

    public static VerdictValidation? Validation(ExperimentSample sample)
    {
        var v = sample.Validation;
        if (v.Events == 0 && v.Similarities.Length == 0)
        {
            return null;
        }
        var overall = v.Events == 0 ? default(ProportionInterval?) : WilsonInterval.Compute(v.Matches, v.Events, StatisticsDefaults.Alpha);
        var checks = v.ByCheck.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => new ValidationCheckFigures(
            kv.Value.Checked, kv.Value.Matched, (double)kv.Value.Matched / kv.Value.Checked,
            WilsonInterval.Compute(kv.Value.Matched, kv.Value.Checked, StatisticsDefaults.Alpha).Interval.Lower), StringComparer.Ordinal);
        var similarity = v.Similarities.Length == 0 ? null
            : new SimilarityFigures(v.Similarities.Length, v.Similarities.Average(), QuantileDifference.Type7(v.Similarities, 0.05), v.Similarities[0]);
        return new VerdictValidation(v.Events, v.Matches, v.MatchRate, overall?.Interval.Lower, overall?.Interval.Upper, checks, similarity);
    }

    public static VerdictErrors Errors(ExperimentSample sample)
    {
        static IReadOnlyDictionary<string, ErrorClassFigures> Side(ArmSample arm) => arm.ErrorsByClass
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .ToDictionary(kv => kv.Key, kv =>
            {
                var figures = new ErrorClassFigures(kv.Value, arm.Requests == 0 ? 0 : (double)kv.Value / arm.Requests);
                return kv.Key == "rate_limit" && arm.RetryAfterMs.Length > 0
                    ? figures with { RetryAfterMedianMs = QuantileDifference.Type7(arm.RetryAfterMs, 0.5), RetryAfterMaxMs = arm.RetryAfterMs[^1] }
                    : figures;
            }, StringComparer.Ordinal);
        return new VerdictErrors(Side(sample.Baseline), Side(sample.Canary));
    }

    private static double Round(double usd) => Math.Round(usd, 2);
}
