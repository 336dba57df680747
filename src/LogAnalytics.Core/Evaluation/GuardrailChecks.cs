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
        // Resolution floor (ties, buckets, capped timeouts): the standard error the quantile would have if the tied values
        // were spread evenly over their bucket, SE ≥ h·sqrt(q(1 − q)/n)/m with m the share of values tied at the quantile.
        var (hb, hc) = Resolution.OfBoth(sample.Baseline.LatenciesMs, sample.Canary.LatenciesMs, sorted: true, LatencyResolutionMs);
        var seB = Math.Max(baseline.StandardError, TieFloor(sample.Baseline.LatenciesMs, baseline.Value, hb));
        var seC = Math.Max(canary.StandardError, TieFloor(sample.Canary.LatenciesMs, canary.Value, hc));
        var logRatio = Math.Log(canary.Value / baseline.Value);
        var variance = Math.Pow(seB / baseline.Value, 2) + Math.Pow(seC / canary.Value, 2);
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
                ["baseline_se_ms"] = seB,
                ["canary_se_ms"] = seC,
            },
        };
    }

    /// <summary>The resolution assumed when a side has a single distinct latency: 1 ms.</summary>
    internal const double LatencyResolutionMs = 1.0;

    private double TieFloor(double[] sorted, double value, double h)
    {
        var lo = Array.BinarySearch(sorted, value);
        if (lo < 0)
        {
            return 0; // an interpolated quantile between two distinct values: no tie at it
        }
        int first = lo, last = lo;
        while (first > 0 && sorted[first - 1] == value)
        {
            first--;
        }
        while (last < sorted.Length - 1 && sorted[last + 1] == value)
        {
            last++;
        }
        var n = (double)sorted.Length;
        var tiedShare = (last - first + 1) / n;
        return h * Math.Sqrt(quantile * (1 - quantile) / n) / tiedShare;
    }
}

/// <summary>latency_distribution: Mann-Whitney U (two-sided, normal approximation with tie and continuity correction)
/// for the fixed-horizon p-value, and the Hodges-Lehmann shift of ln(latency) (canary − baseline) as the effect: a
/// log ratio, so a 1.1x slowdown reads as ln 1.1 whatever the body's shape, with its variance from the Moses interval
/// on the same scale (floored by the rounding variance of the latencies' resolution).</summary>
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
        var logBaseline = Logs(sample.Baseline.LatenciesMs);
        var logCanary = Logs(sample.Canary.LatenciesMs);
        var mw = MannWhitneyU.Test(sample.Baseline.LatenciesMs, sample.Canary.LatenciesMs);
        var hl = HodgesLehmannShift.Estimate(logBaseline, logCanary, 0.05);
        if (!mw.IsComputable || !hl.IsComputable || !hl.HasFiniteInterval)
        {
            return new NotComputable(guardrail, $"{Metric}: {mw.NotComputableReason ?? hl.NotComputableReason ?? "the shift's interval is unbounded"}", baselineMedian, canaryMedian);
        }
        var se = (hl.Interval.Upper - hl.Interval.Lower) / (2 * GuardrailChecks.Z95);
        var (hb, hc) = Resolution.OfBoth(logBaseline, logCanary, sorted: true, LatencyQuantileCheck.LatencyResolutionMs / Math.Max(baselineMedian, LatencyQuantileCheck.LatencyResolutionMs));
        var variance = Math.Max(se * se, (Resolution.RoundingVariance(hb) / logBaseline.Length) + (Resolution.RoundingVariance(hc) / logCanary.Length));
        var logShift = hl.Shift;
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = baselineMedian,
            Canary = canaryMedian,
            Degradation = guardrail.HigherIsBetter ? -logShift : logShift,
            Variance = variance,
            FixedHorizonPValue = mw.PValue,
            Test = "mann_whitney_u",
            Details = new Dictionary<string, double>
            {
                ["u_statistic"] = mw.U,
                ["hodges_lehmann_log_shift"] = hl.Shift,
                ["hodges_lehmann_ratio"] = Math.Exp(hl.Shift),
                ["hodges_lehmann_ratio_ci_low"] = Math.Exp(hl.Interval.Lower),
                ["hodges_lehmann_ratio_ci_high"] = Math.Exp(hl.Interval.Upper),
            },
        };
    }

    private static double[] Logs(double[] sorted)
    {
        var logs = new double[sorted.Length];
        for (var i = 0; i < sorted.Length; i++)
        {
            // Below the 1 ms resolution a latency is read as 1 ms (a 0 ms latency has no logarithm).
            logs[i] = Math.Log(Math.Max(sorted[i], LatencyQuantileCheck.LatencyResolutionMs));
        }
        return logs;
    }
}

/// <summary>error_rate: the difference of failed shares (canary − baseline) with its variance at the null boundary
/// (Farrington–Manning restricted rates with canary − baseline = the margin), where both the fail and the pass test
/// decide, so a canary that happens to show few errors cannot narrow its own interval; the pooled two-proportion
/// z-test (as statsmodels proportions_ztest) is the fixed-horizon p-value, and the Newcombe hybrid-score interval is
/// reported. Not judged until the canary expects <see cref="RateApproximation.MinExpectedCount"/> errors and as many
/// successes at the margin (the normal approximation's rule of thumb): one failed request is not evidence.</summary>
internal sealed class ErrorRateCheck : IGuardrailCheck
{
    public string Metric => MetricNames.ErrorRate;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var (xb, nb) = (sample.Baseline.Errors, sample.Baseline.Requests);
        var (xc, nc) = (sample.Canary.Errors, sample.Canary.Requests);
        var pb = (double)xb / nb;
        var pc = (double)xc / nc;
        var boundary = Math.Min(guardrail.Margin, 0.999);
        var (rc, rb) = FarringtonManning.RestrictedRates(xc, nc, xb, nb, guardrail.HigherIsBetter ? -boundary : boundary);
        // Half an event's floor keeps the variance positive with a margin of 0 and no errors anywhere.
        rb = Math.Clamp(rb, 0.5 / nb, 1 - (0.5 / nb));
        rc = Math.Clamp(rc, 0.5 / nc, 1 - (0.5 / nc));
        var expected = nc * Math.Min(rc, 1 - rc);
        if (expected < RateApproximation.MinExpectedCount)
        {
            return new NotComputable(guardrail, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"{Metric}: too few canary requests to judge yet ({nc:N0}; at the margin that is {expected:0.#} expected errors, and the test needs {RateApproximation.MinExpectedCount})."), pb, pc);
        }
        var vb = rb * (1 - rb) / nb;
        var vc = rc * (1 - rc) / nc;
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

/// <summary>When a rate's normal approximation is trusted.</summary>
internal static class RateApproximation
{
    /// <summary>Fewest expected events of the rarer kind (errors or successes, at the null boundary) before a rate is
    /// judged: 5, the usual rule of thumb for the normal approximation of a binomial.</summary>
    public const double MinExpectedCount = 5;
}
