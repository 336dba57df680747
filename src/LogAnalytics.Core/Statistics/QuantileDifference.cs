namespace LogAnalytics.Statistics;

/// <summary>
/// Difference (canary − baseline) and relative change (canary / baseline − 1) of a q-quantile, with
/// distribution-free standard errors.
/// <list type="bullet">
/// <item>Quantile: Hyndman &amp; Fan (1996) type 7, the default of numpy.quantile ('linear') and R's quantile():
/// h = (n − 1)q, Q = x₍⌊h⌋₊₁₎ + (h − ⌊h⌋)(x₍⌊h⌋₊₂₎ − x₍⌊h⌋₊₁₎).</item>
/// <item>Standard error (Bonett &amp; Price 2002, "Statistical inference for a linear function of medians", extended
/// from the median to any q; Price &amp; Bonett 2001): the order-statistic interval [x₍ₗ₎, x₍ᵤ₎] with
/// l = max(1, F⁻¹(0.025)), u = min(n, F⁻¹(0.975) + 1), F the Binomial(n, q) cdf, covers the true quantile with
/// exact probability c = F(u − 1) − F(l − 1) whatever the distribution; SE = (x₍ᵤ₎ − x₍ₗ₎) / (2·Φ⁻¹((1 + c)/2)).
/// Using the exact c rather than 0.95 corrects for the discreteness of the binomial.</item>
/// <item>Difference: d ± z·sqrt(SE_b² + SE_c²). Relative change: log ratio r = ln(Q_c/Q_b) with delta-method
/// variance (SE_b/Q_b)² + (SE_c/Q_c)², interval exp(r ± z·sqrt(var)) − 1; only when both quantiles are
/// positive.</item>
/// </list>
/// Estimates and variances are exposed so that <see cref="MixtureSequentialTest"/> can consume them.
/// Reference: python re-implementation with numpy.quantile and scipy.stats.binom (quantile_difference.json);
/// interval coverage is checked by simulation.
/// </summary>
internal static class QuantileDifference
{
    /// <summary>Type-7 quantile of a sorted sample and its order-statistic standard error.</summary>
    /// <param name="sorted">Sample sorted ascending (finite values).</param>
    /// <param name="q">Probability, 0 &lt; q &lt; 1.</param>
    public static SampleQuantile OfSorted(ReadOnlySpan<double> sorted, double q)
    {
        CheckProbability(q);
        var n = sorted.Length;
        if (n == 0)
        {
            return new SampleQuantile(q, double.NaN, double.NaN, 0, 0, 0, "no data");
        }

        var value = Type7(sorted, q);
        var level = StatisticsDefaults.QuantileStandardErrorLevel;
        var lower = (int)Math.Max(1, BinomialDistribution.Quantile((1.0 - level) / 2.0, n, q));
        var upper = (int)Math.Min(n, BinomialDistribution.Quantile((1.0 + level) / 2.0, n, q) + 1);
        if (lower >= upper)
        {
            return new SampleQuantile(q, value, double.NaN, n, lower, upper,
                $"{n} values are too few for a standard error of the {q} quantile");
        }

        var coverage = BinomialDistribution.Cdf(upper - 1, n, q) - BinomialDistribution.Cdf(lower - 1, n, q);
        var z = StandardNormal.Quantile((1.0 + coverage) / 2.0);
        var se = (sorted[upper - 1] - sorted[lower - 1]) / (2.0 * z);
        return new SampleQuantile(q, value, se, n, lower, upper, null);
    }

    /// <summary>Type-7 quantile and standard error of an unsorted sample (sorts a copy).</summary>
    /// <param name="sample">Sample values (finite).</param>
    /// <param name="q">Probability, 0 &lt; q &lt; 1.</param>
    public static SampleQuantile Of(ReadOnlySpan<double> sample, double q)
    {
        Guard.Finite(sample, nameof(sample));
        return OfSorted(Guard.SortedCopy(sample), q);
    }

    /// <summary>Compares the q-quantile of canary against baseline.</summary>
    /// <param name="baseline">Baseline values (finite).</param>
    /// <param name="canary">Canary values (finite).</param>
    /// <param name="q">Probability, 0 &lt; q &lt; 1 (0.5, 0.95, 0.99 for latency).</param>
    /// <param name="alpha">Two-sided error rate of the intervals; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    public static QuantileDifferenceResult Compare(
        ReadOnlySpan<double> baseline, ReadOnlySpan<double> canary, double q, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        return Compare(Of(baseline, q), Of(canary, q), alpha);
    }

    /// <summary>Compares two quantiles already estimated with <see cref="OfSorted"/> or <see cref="Of"/>.</summary>
    /// <param name="baseline">Baseline quantile.</param>
    /// <param name="canary">Canary quantile of the same probability.</param>
    /// <param name="alpha">Two-sided error rate of the intervals; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    public static QuantileDifferenceResult Compare(
        SampleQuantile baseline, SampleQuantile canary, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        if (baseline.Probability != canary.Probability)
        {
            throw new ArgumentException("Both quantiles must have the same probability.", nameof(canary));
        }

        var difference = canary.Value - baseline.Value;
        if (!baseline.IsComputable || !canary.IsComputable)
        {
            var reason = $"baseline: {baseline.NotComputableReason ?? "ok"}; canary: {canary.NotComputableReason ?? "ok"}";
            return new QuantileDifferenceResult(baseline, canary, alpha, difference, double.NaN,
                ConfidenceInterval.Unbounded, null, reason);
        }

        var z = StandardNormal.TwoSidedCritical(alpha);
        var variance = baseline.Variance + canary.Variance;
        var half = z * Math.Sqrt(variance);
        var interval = new ConfidenceInterval(difference - half, difference + half);

        RelativeChange? relative = null;
        if (baseline.Value > 0.0 && canary.Value > 0.0)
        {
            var logRatio = Math.Log(canary.Value / baseline.Value);
            var relB = baseline.StandardError / baseline.Value;
            var relC = canary.StandardError / canary.Value;
            var logVariance = (relB * relB) + (relC * relC);
            var logHalf = z * Math.Sqrt(logVariance);
            relative = new RelativeChange(Math.Exp(logRatio) - 1.0, logRatio, logVariance,
                new ConfidenceInterval(Math.Exp(logRatio - logHalf) - 1.0, Math.Exp(logRatio + logHalf) - 1.0));
        }

        return new QuantileDifferenceResult(baseline, canary, alpha, difference, variance, interval, relative, null);
    }

    /// <summary>Hyndman-Fan type 7 quantile of a sorted, non-empty sample (numpy's 'linear').</summary>
    public static double Type7(ReadOnlySpan<double> sorted, double q)
    {
        var h = (sorted.Length - 1) * q;
        var below = (int)Math.Floor(h);
        if (below >= sorted.Length - 1)
        {
            return sorted[^1];
        }

        var t = h - below;
        double a = sorted[below], b = sorted[below + 1];
        // numpy's lerp: interpolate from the nearer end, which keeps the result monotone in t.
        return t < 0.5 ? a + ((b - a) * t) : b - ((b - a) * (1.0 - t));
    }

    private static void CheckProbability(double q)
    {
        if (!(q > 0.0 && q < 1.0))
        {
            throw new ArgumentOutOfRangeException(nameof(q), q, "q must lie strictly between 0 and 1.");
        }
    }
}

/// <summary>A sample quantile with its distribution-free standard error (see <see cref="QuantileDifference"/>).</summary>
/// <param name="Probability">q.</param>
/// <param name="Value">Type-7 quantile; NaN for an empty sample.</param>
/// <param name="StandardError">Order-statistic standard error; NaN when not computable.</param>
/// <param name="Count">Sample size n.</param>
/// <param name="LowerOrder">1-based order statistic l used for the standard error.</param>
/// <param name="UpperOrder">1-based order statistic u used for the standard error.</param>
/// <param name="NotComputableReason">Why no standard error exists (empty or too small sample), or null.</param>
internal readonly record struct SampleQuantile(
    double Probability, double Value, double StandardError, int Count, int LowerOrder, int UpperOrder,
    string? NotComputableReason)
{
    /// <summary>True when both the quantile and its standard error exist.</summary>
    public bool IsComputable => NotComputableReason is null;

    /// <summary>Squared standard error.</summary>
    public double Variance => StandardError * StandardError;
}

/// <summary>Relative change canary / baseline − 1 of a quantile, via the log ratio.</summary>
/// <param name="Estimate">Q_c / Q_b − 1.</param>
/// <param name="LogRatio">ln(Q_c / Q_b), asymptotically normal; feed it to <see cref="MixtureSequentialTest"/>.</param>
/// <param name="LogRatioVariance">Delta-method variance (SE_b/Q_b)² + (SE_c/Q_c)² of the log ratio.</param>
/// <param name="Interval">exp(log-ratio interval) − 1.</param>
internal readonly record struct RelativeChange(
    double Estimate, double LogRatio, double LogRatioVariance, ConfidenceInterval Interval);

/// <summary>Result of <see cref="QuantileDifference.Compare(SampleQuantile, SampleQuantile, double)"/>.</summary>
/// <param name="Baseline">Baseline quantile and standard error.</param>
/// <param name="Canary">Canary quantile and standard error.</param>
/// <param name="Alpha">Two-sided error rate of the intervals.</param>
/// <param name="Difference">Q_canary − Q_baseline.</param>
/// <param name="DifferenceVariance">SE_b² + SE_c²; NaN when not computable.</param>
/// <param name="DifferenceInterval">Difference ± z·sqrt(variance); unbounded when not computable.</param>
/// <param name="Relative">Relative change, or null when not computable or a quantile is not positive.</param>
/// <param name="NotComputableReason">Why no interval exists, or null.</param>
internal sealed record QuantileDifferenceResult(
    SampleQuantile Baseline, SampleQuantile Canary, double Alpha, double Difference, double DifferenceVariance,
    ConfidenceInterval DifferenceInterval, RelativeChange? Relative, string? NotComputableReason)
{
    /// <summary>True when the difference interval was computed.</summary>
    public bool IsComputable => NotComputableReason is null;
}
