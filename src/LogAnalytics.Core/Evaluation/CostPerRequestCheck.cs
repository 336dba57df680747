using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;

namespace LogAnalytics.Evaluation;

/// <summary>cost_per_request: the mean cost of a priced request on each side (the event's cost_usd, else tokens × the
/// price book). The decision scale is ln(canary mean / baseline mean) with the delta-method variance
/// s²_b/(n_b·m²_b) + s²_c/(n_c·m²_c); Welch's t-test on the per-request costs is the fixed-horizon p-value.
/// Waits while more than <see cref="MaxUnpricedShare"/> of either side is unpriced: a comparison of the priced part
/// alone could hide exactly the expensive requests.</summary>
internal sealed class CostPerRequestCheck : IGuardrailCheck
{
    /// <summary>The largest share of unpriced requests on a side at which the check still compares costs.</summary>
    public const double MaxUnpricedShare = 0.01;

    /// <summary>The resolution assumed when every priced request of both sides costs the same: $10⁻⁹.</summary>
    internal const double CostResolutionUsd = 1e-9;

    public string Metric => MetricNames.CostPerRequest;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var b = sample.Baseline.Cost;
        var c = sample.Canary.Cost;
        if (b.PricedFromData == 0 && c.PricedFromData == 0)
        {
            var unpriced = b.Unpriced + c.Unpriced;
            var models = b.ModelsWithoutPrice.Concat(c.ModelsWithoutPrice).Distinct(StringComparer.Ordinal).ToList();
            return new NotComputable(guardrail, models.Count > 0
                ? $"{Metric}: no request could be priced: {unpriced:N0} requests of {Join(models)} have no cost_usd and no price in the price book (add them to pricing.json)."
                : $"{Metric}: no request reports cost_usd or token counts, so there is no cost to compare.", NoData: true);
        }
        foreach (var (side, arm, cost) in new[] { ("baseline", sample.Baseline, b), ("canary", sample.Canary, c) })
        {
            var share = arm.Requests == 0 ? 0 : (double)cost.Unpriced / arm.Requests;
            if (share > MaxUnpricedShare)
            {
                return new NotComputable(guardrail, string.Create(CultureInfo.InvariantCulture,
                    $"{Metric}: {cost.Unpriced:N0} of {arm.Requests:N0} {side} requests ({share:P1}) are unpriced ({Why(cost)}); at most {MaxUnpricedShare:P0} may be before costs are compared."),
                    b.CostPerRequestUsd, c.CostPerRequestUsd);
            }
        }
        if (b.Priced < 2 || c.Priced < 2)
        {
            return new NotComputable(guardrail, $"{Metric}: too few priced requests ({b.Priced:N0} baseline, {c.Priced:N0} canary; at least 2 per side).", b.CostPerRequestUsd, c.CostPerRequestUsd);
        }
        var (meanB, varB) = MeanAndVariance(b.PricedCostsUsd);
        var (meanC, varC) = MeanAndVariance(c.PricedCostsUsd);
        if (meanB <= 0 || meanC <= 0)
        {
            return new NotComputable(guardrail, $"{Metric}: a mean cost of $0 cannot be compared as a ratio.", meanB, meanC);
        }
        // Resolution floor: flat prices give a sample variance of 0 on a side; a cost known to h is uncertain by h²/12.
        var (hb, hc) = Resolution.OfBoth(b.PricedCostsUsd, c.PricedCostsUsd, sorted: false, CostResolutionUsd);
        varB = Math.Max(varB, Resolution.RoundingVariance(hb));
        varC = Math.Max(varC, Resolution.RoundingVariance(hc));
        var logRatio = Math.Log(meanC / meanB);
        var variance = varB / (b.Priced * meanB * meanB) + varC / (c.Priced * meanC * meanC);
        var welch = WelchTTest.Test(b.PricedCostsUsd, c.PricedCostsUsd);
        var details = new Dictionary<string, double>
        {
            ["baseline_cost_per_1k_requests_usd"] = meanB * 1000,
            ["canary_cost_per_1k_requests_usd"] = meanC * 1000,
            ["baseline_priced_requests"] = b.Priced,
            ["canary_priced_requests"] = c.Priced,
            ["baseline_unpriced_requests"] = b.Unpriced,
            ["canary_unpriced_requests"] = c.Unpriced,
        };
        if (b.TokensPerRequest is { } tb)
        {
            details["baseline_tokens_per_request"] = tb;
        }
        if (c.TokensPerRequest is { } tc)
        {
            details["canary_tokens_per_request"] = tc;
        }
        if (CostProjection.Of(sample) is { } projection)
        {
            details["baseline_monthly_usd"] = projection.AllOnBaselineUsd;
            details["canary_monthly_usd"] = projection.AllOnCanaryUsd;
        }
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = meanB,
            Canary = meanC,
            Degradation = guardrail.HigherIsBetter ? -logRatio : logRatio,
            Variance = variance,
            FixedHorizonPValue = welch.IsComputable ? welch.PValue : null,
            Test = "welch_t",
            Details = details,
        };
    }

    private static string Why(ArmCost cost)
    {
        var parts = cost.UnpricedBySource.OrderByDescending(kv => kv.Value).Select(kv => kv.Key switch
        {
            Kpis.Pricing.CostSources.NoPrice => $"{kv.Value:N0} of models without a price: {Join(cost.ModelsWithoutPrice)}; add them to pricing.json",
            Kpis.Pricing.CostSources.NoTokens => $"{kv.Value:N0} without token counts or cost_usd",
            _ => $"{kv.Value:N0} without a model name",
        });
        return string.Join("; ", parts);
    }

    private static string Join(IEnumerable<string> models) => string.Join(", ", models.Take(5).Select(m => $"\"{m}\""));

    private static (double Mean, double Variance) MeanAndVariance(double[] values)
    {
        var mean = values.Average();
        var ss = 0.0;
        foreach (var v in values)
        {
            ss += (v - mean) * (v - mean);
        }
        return (mean, ss / (values.Length - 1));
    }
}
