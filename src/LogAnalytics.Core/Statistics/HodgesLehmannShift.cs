namespace LogAnalytics.Statistics;

/// <summary>
/// Hodges-Lehmann estimate of the location shift canary − baseline, median of all m·n differences
/// <c>canary[j] − baseline[i]</c> (Hodges &amp; Lehmann 1963), with the distribution-free confidence interval of
/// Moses / Lehmann (Lehmann, Nonparametrics, 1975; Hollander &amp; Wolfe, ch. 4.3): <c>[D₍ₖ₎, D₍N+1−k₎]</c> over the
/// sorted differences, N = mn, with the rank index from the normal approximation of U,
/// <c>k = ⌊N/2 + 1/2 − z·σ_U⌋</c>, z = Φ⁻¹(1 − α/2) and σ_U the tie-corrected standard deviation of U (the
/// +1/2 is the continuity correction: P(U ≤ k − 1) ≈ Φ((k − 1/2 − N/2)/σ_U) ≤ α/2). When k &lt; 1 the samples are
/// too small for a finite interval at that level and the interval is <c>(-∞, +∞)</c>.
/// <para>
/// Reference: a python re-implementation that materialises all differences (fixture hodges_lehmann.json); this is
/// the textbook index, not R's <c>wilcox.test(conf.int = TRUE)</c>, which inverts the test by root finding with
/// tolerance 1e-4 and reports that root as the estimate. Order statistics are selected exactly by
/// <see cref="PairwiseDifferences"/> in O((m + n) log) time, so there is no subsample cap and no approximation.
/// </para>
/// </summary>
internal static class HodgesLehmannShift
{
    /// <summary>Estimates the shift canary − baseline and its confidence interval.</summary>
    /// <param name="baseline">Baseline values (finite).</param>
    /// <param name="canary">Canary values (finite).</param>
    /// <param name="alpha">Two-sided error rate of the interval; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    public static HodgesLehmannResult Estimate(
        ReadOnlySpan<double> baseline, ReadOnlySpan<double> canary, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        Guard.Finite(baseline, nameof(baseline));
        Guard.Finite(canary, nameof(canary));
        if (baseline.IsEmpty || canary.IsEmpty)
        {
            return new HodgesLehmannResult(double.NaN, ConfidenceInterval.Unbounded, alpha, 0, 0,
                $"no data: baseline has {baseline.Length} values, canary {canary.Length}");
        }

        var x = Guard.SortedCopy(baseline);
        var y = Guard.SortedCopy(canary);
        var total = (long)x.Length * y.Length;

        var estimate = total % 2 == 1
            ? PairwiseDifferences.Select(x, y, (total + 1) / 2)
            : (PairwiseDifferences.Select(x, y, total / 2) + PairwiseDifferences.Select(x, y, (total / 2) + 1)) / 2.0;

        var sigma = RankSum.OfSorted(x, y).UStandardDeviation;
        var z = StandardNormal.TwoSidedCritical(alpha);
        var k = (long)Math.Floor((total / 2.0) + 0.5 - (z * sigma));
        if (k < 1)
        {
            return new HodgesLehmannResult(estimate, ConfidenceInterval.Unbounded, alpha, 0, 0, null);
        }

        var interval = new ConfidenceInterval(
            PairwiseDifferences.Select(x, y, k), PairwiseDifferences.Select(x, y, total + 1 - k));
        return new HodgesLehmannResult(estimate, interval, alpha, k, total + 1 - k, null);
    }
}

/// <summary>Result of <see cref="HodgesLehmannShift.Estimate"/>.</summary>
/// <param name="Shift">Median of the differences canary − baseline; NaN when not computable.</param>
/// <param name="Interval">
/// Confidence interval for the shift at level 1 − <paramref name="Alpha"/>; <c>(-∞, +∞)</c> when the samples are
/// too small for a finite interval (see <see cref="HasFiniteInterval"/>).
/// </param>
/// <param name="Alpha">Two-sided error rate used.</param>
/// <param name="LowerRank">1-based rank k of the lower bound among the sorted differences (0 if none).</param>
/// <param name="UpperRank">1-based rank N + 1 − k of the upper bound (0 if none).</param>
/// <param name="NotComputableReason">Why nothing could be estimated, or null.</param>
internal readonly record struct HodgesLehmannResult(
    double Shift, ConfidenceInterval Interval, double Alpha, long LowerRank, long UpperRank, string? NotComputableReason)
{
    /// <summary>True when the shift was estimated.</summary>
    public bool IsComputable => NotComputableReason is null;

    /// <summary>True when the interval has finite bounds.</summary>
    public bool HasFiniteInterval => Interval.IsBounded;
}
