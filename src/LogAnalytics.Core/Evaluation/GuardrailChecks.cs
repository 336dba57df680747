using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;

namespace LogAnalytics.Evaluation;

/// <summary>The built-in guardrail checks, one class per metric.</summary>
public static class GuardrailChecks
{
    /// <summary>Every built-in check.</summary>
    public static IReadOnlyList<IGuardrailCheck> All() =>
    [
        new LatencyQuantileCheck(MetricNames.LatencyP50, 0.50),
        new LatencyQuantileCheck(MetricNames.LatencyP95, 0.95),
        new LatencyQuantileCheck(MetricNames.LatencyP99, 0.99),
        new LatencyDistributionCheck(),
        new ErrorRateCheck(),
        new CostPerRequestCheck(),
        new ValidationMatchRateCheck(),
        DerivedLatencyCheck.TimeToFirstToken(MetricNames.TtftP50, 0.50),
        DerivedLatencyCheck.TimeToFirstToken(MetricNames.TtftP95, 0.95),
        DerivedLatencyCheck.PerOutputToken(),
    ];

    /// <summary>The z value of a two-sided 95 % interval (for converting interval widths to standard errors).</summary>
    internal const double Z95 = 1.959963984540054;
}

/// <summary>latency_p50 / p95 / p99: the quantile of each side with its standard error from the distribution-free
/// order-statistic interval; the decision scale is ln(canary / baseline) with the delta-method variance.
/// The fixed-horizon p-value is the z-test of the log ratio against 0.</summary>
internal sealed class LatencyQuantileCheck(string metric, double quantile) : IGuardrailCheck
{
    /// <summary>Fewest requests per side for a usable interval at this quantile (at least 10 beyond the quantile).</summary>
    private readonly int _minimum = (int)Math.Ceiling(10 / Math.Min(quantile, 1 - quantile));

    public string Metric => metric;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        if (sample.Baseline.Requests < _minimum || sample.Canary.Requests < _minimum)
        {
            return new NotComputable(guardrail, $"{metric}: too few requests for this percentile ({Math.Min(sample.Baseline.Requests, sample.Canary.Requests):N0}; at least {_minimum:N0} per side).");
        }
        var baseline = QuantileDifference.OfSorted(sample.Baseline.LatenciesMs, quantile);
        var canary = QuantileDifference.OfSorted(sample.Canary.LatenciesMs, quantile);
        if (!baseline.IsComputable || !canary.IsComputable)
        {
            return new NotComputable(guardrail, $"{metric}: {baseline.NotComputableReason ?? canary.NotComputableReason}", baseline.Value, canary.Value);
        }
        if (baseline.Value <= 0 || canary.Value <= 0)
        {
            return new NotComputable(guardrail, $"{metric}: a percentile of 0 ms cannot be compared as a ratio.", baseline.Value, canary.Value);
        }
        var logRatio = Math.Log(canary.Value / baseline.Value);
        var variance = Math.Pow(baseline.StandardError / baseline.Value, 2) + Math.Pow(canary.StandardError / canary.Value, 2);
        var z = variance > 0 ? logRatio / Math.Sqrt(variance) : 0;
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = baseline.Value,
            Canary = canary.Value,
            Degradation = guardrail.HigherIsBetter ? -logRatio : logRatio,
            Variance = variance,
            FixedHorizonPValue = StandardNormal.TwoSidedPValue(z),
            Test = "quantile_log_ratio_z",
            Details = new Dictionary<string, double>
            {
                ["baseline_se_ms"] = baseline.StandardError,
                ["canary_se_ms"] = canary.StandardError,
            },
        };
    }
}

/// <summary>latency_distribution: Mann-Whitney U (two-sided, normal approximation with tie and continuity correction)
/// for the fixed-horizon p-value, and the Hodges-Lehmann shift (canary − baseline) relative to the baseline median as
/// the effect, with its variance from the Moses interval.</summary>
internal sealed class LatencyDistributionCheck : IGuardrailCheck
{
    public string Metric => MetricNames.LatencyDistribution;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        if (sample.Baseline.Requests < 10 || sample.Canary.Requests < 10)
        {
            return new NotComputable(guardrail, $"{Metric}: too few requests to compare distributions (at least 10 per side).");
        }
        var baselineMedian = QuantileDifference.Type7(sample.Baseline.LatenciesMs, 0.5);
        var canaryMedian = QuantileDifference.Type7(sample.Canary.LatenciesMs, 0.5);
        if (baselineMedian <= 0)
        {
            return new NotComputable(guardrail, $"{Metric}: the baseline median is 0 ms; a relative shift is undefined.", baselineMedian, canaryMedian);
        }
        var mw = MannWhitneyU.Test(sample.Baseline.LatenciesMs, sample.Canary.LatenciesMs);
        var hl = HodgesLehmannShift.Estimate(sample.Baseline.LatenciesMs, sample.Canary.LatenciesMs, 0.05);
        if (!mw.IsComputable || !hl.IsComputable || !hl.HasFiniteInterval)
        {
            return new NotComputable(guardrail, $"{Metric}: {mw.NotComputableReason ?? hl.NotComputableReason ?? "the shift's interval is unbounded"}", baselineMedian, canaryMedian);
        }
        var relative = 1 + hl.Shift / baselineMedian;
        if (relative <= 0)
        {
            return new NotComputable(guardrail, $"{Metric}: the shift is larger than the baseline median.", baselineMedian, canaryMedian);
        }
        var se = (hl.Interval.Upper - hl.Interval.Lower) / (2 * GuardrailChecks.Z95) / baselineMedian / relative;
        var logShift = Math.Log(relative);
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = baselineMedian,
            Canary = canaryMedian,
            Degradation = guardrail.HigherIsBetter ? -logShift : logShift,
            Variance = se * se,
            FixedHorizonPValue = mw.PValue,
            Test = "mann_whitney_u",
            Details = new Dictionary<string, double>
            {
                ["u_statistic"] = mw.U,
                ["hodges_lehmann_shift_ms"] = hl.Shift,
                ["hodges_lehmann_ci_low_ms"] = hl.Interval.Lower,
                ["hodges_lehmann_ci_high_ms"] = hl.Interval.Upper,
            },
        };
    }
}

/// <summary>error_rate: the difference of failed shares (canary − baseline) with the unpooled variance for the
/// sequential test; the pooled two-proportion z-test (as statsmodels proportions_ztest) is the fixed-horizon p-value,
/// and the Newcombe hybrid-score interval is reported.</summary>
internal sealed class ErrorRateCheck : IGuardrailCheck
{
    public string Metric => MetricNames.ErrorRate;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var (xb, nb) = (sample.Baseline.Errors, sample.Baseline.Requests);
        var (xc, nc) = (sample.Canary.Errors, sample.Canary.Requests);
        var pb = (double)xb / nb;
        var pc = (double)xc / nc;
        // Zero variance when both shares are 0 or 1: use the variance at one event in each side (a continuity floor),
        // so "no errors anywhere" can still pass a margin once there is enough data.
        var vb = Math.Max(pb * (1 - pb), 1.0 / nb * (1 - 1.0 / nb)) / nb;
        var vc = Math.Max(pc * (1 - pc), 1.0 / nc * (1 - 1.0 / nc)) / nc;
        var z = TwoProportionZTest.Test(xb, nb, xc, nc);
        var newcombe = NewcombeDifferenceInterval.Compute(xb, nb, xc, nc, 0.05);
        var details = new Dictionary<string, double>
        {
            ["baseline_errors"] = xb,
            ["canary_errors"] = xc,
            ["newcombe_ci_low"] = newcombe.Interval.Lower,
            ["newcombe_ci_high"] = newcombe.Interval.Upper,
        };
        foreach (var (cls, count) in sample.Canary.ErrorsByClass)
        {
            details[$"canary_{cls}"] = count;
        }
        foreach (var (cls, count) in sample.Baseline.ErrorsByClass)
        {
            details[$"baseline_{cls}"] = count;
        }
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = pb,
            Canary = pc,
            Degradation = guardrail.HigherIsBetter ? pb - pc : pc - pb,
            Variance = vb + vc,
            FixedHorizonPValue = z.IsComputable ? z.PValue : null,
            Test = "two_proportion_z",
            Details = details,
        };
    }
}
