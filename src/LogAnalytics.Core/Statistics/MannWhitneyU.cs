namespace LogAnalytics.Statistics;

/// <summary>
/// Two-sided Mann-Whitney U (Wilcoxon rank-sum) test, normal approximation with tie correction and continuity
/// correction (Mann &amp; Whitney 1947; Hollander &amp; Wolfe, Nonparametric Statistical Methods, ch. 4).
/// Equals <c>scipy.stats.mannwhitneyu(baseline, canary, alternative="two-sided", method="asymptotic",
/// use_continuity=True)</c>: z = (max(U₁, U₂) − mn/2 − 1/2) / σ_U, p = min(1, 2·P(Z &gt; z)).
/// O(n log n): the samples are sorted and merged once.
/// </summary>
internal static class MannWhitneyU
{
    /// <summary>Tests whether baseline and canary come from the same distribution.</summary>
    /// <param name="baseline">Baseline values (finite).</param>
    /// <param name="canary">Canary values (finite).</param>
    /// <returns>
    /// U of the baseline sample and the p-value. An empty sample gives a result that is not computable
    /// (no exception); all values identical gives p = 1.
    /// </returns>
    public static MannWhitneyUResult Test(ReadOnlySpan<double> baseline, ReadOnlySpan<double> canary)
    {
        Guard.Finite(baseline, nameof(baseline));
        Guard.Finite(canary, nameof(canary));
        if (baseline.IsEmpty || canary.IsEmpty)
        {
            return new MannWhitneyUResult(double.NaN, double.NaN, double.NaN, baseline.Length, canary.Length,
                $"no data: baseline has {baseline.Length} values, canary {canary.Length}");
        }

        var sortedBaseline = Guard.SortedCopy(baseline);
        var sortedCanary = Guard.SortedCopy(canary);
        var ranks = RankSum.OfSorted(sortedBaseline, sortedCanary);
        double m = baseline.Length, n = canary.Length;
        var u1 = ranks.FirstU;
        var sigma = ranks.UStandardDeviation;
        if (AllIdentical(sortedBaseline, sortedCanary) || sigma == 0.0)
        {
            // Every value is the same: no evidence of a difference (scipy: z = -inf, p clipped to 1).
            return new MannWhitneyUResult(u1, 0.0, 1.0, baseline.Length, canary.Length, null);
        }

        var u = Math.Max(u1, (m * n) - u1);
        var z = (u - (m * n / 2.0) - 0.5) / sigma;
        var p = Math.Min(1.0, 2.0 * StandardNormal.Sf(z));
        return new MannWhitneyUResult(u1, z, p, baseline.Length, canary.Length, null);
    }

    private static bool AllIdentical(double[] sortedBaseline, double[] sortedCanary) =>
        sortedBaseline[0] == sortedBaseline[^1] && sortedCanary[0] == sortedCanary[^1]
        && sortedBaseline[0] == sortedCanary[0];
}

/// <summary>Result of <see cref="MannWhitneyU.Test"/>.</summary>
/// <param name="U">U statistic of the baseline (first) sample, as scipy reports it; NaN when not computable.</param>
/// <param name="Z">Standardised max(U₁, U₂) with continuity correction (never negative beyond −1/(2σ)).</param>
/// <param name="PValue">Two-sided p-value in [0, 1]; NaN when not computable.</param>
/// <param name="BaselineCount">Number of baseline values.</param>
/// <param name="CanaryCount">Number of canary values.</param>
/// <param name="NotComputableReason">Why no test was possible, or null when it was.</param>
internal readonly record struct MannWhitneyUResult(
    double U, double Z, double PValue, int BaselineCount, int CanaryCount, string? NotComputableReason)
{
    /// <summary>True when the test ran.</summary>
    public bool IsComputable => NotComputableReason is null;

    /// <summary>
    /// Probability that a random canary value exceeds a random baseline value, ties counted one half:
    /// U_canary / (mn) = 1 − U / (mn). 0.5 means no shift.
    /// </summary>
    public double CanarySuperiority => IsComputable ? 1.0 - (U / ((double)BaselineCount * CanaryCount)) : double.NaN;
}
