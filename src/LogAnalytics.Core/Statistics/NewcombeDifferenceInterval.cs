namespace LogAnalytics.Statistics;

/// <summary>
/// Confidence interval for the difference of two independent proportions p_canary − p_baseline by Newcombe's
/// hybrid score method (Newcombe 1998, "Interval estimation for the difference between independent
/// proportions", method 10): with Wilson intervals [l_b, u_b] and [l_c, u_c] and d = p̂_c − p̂_b,
/// lower = d − sqrt((p̂_c − l_c)² + (u_b − p̂_b)²), upper = d + sqrt((u_c − p̂_c)² + (p̂_b − l_b)²).
/// Equals <c>statsmodels.stats.proportion.confint_proportions_2indep(x_canary, n_canary, x_baseline,
/// n_baseline, method="newcomb", compare="diff")</c>.
/// </summary>
internal static class NewcombeDifferenceInterval
{
    /// <summary>Interval for canary rate minus baseline rate.</summary>
    /// <param name="baselineEvents">Baseline events (errors).</param>
    /// <param name="baselineTotal">Baseline trials (requests).</param>
    /// <param name="canaryEvents">Canary events.</param>
    /// <param name="canaryTotal">Canary trials.</param>
    /// <param name="alpha">Two-sided error rate; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    /// <returns>Difference and interval; not computable when either total is 0.</returns>
    public static ProportionInterval Compute(
        long baselineEvents, long baselineTotal, long canaryEvents, long canaryTotal,
        double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        Guard.Counts(baselineEvents, baselineTotal, nameof(baselineEvents));
        Guard.Counts(canaryEvents, canaryTotal, nameof(canaryEvents));
        if (baselineTotal == 0 || canaryTotal == 0)
        {
            return new ProportionInterval(double.NaN, ConfidenceInterval.Unbounded,
                $"no requests: baseline {baselineTotal}, canary {canaryTotal}");
        }

        var z = StandardNormal.TwoSidedCritical(alpha);
        var (pb, b) = WilsonInterval.Bounds(baselineEvents, baselineTotal, z);
        var (pc, c) = WilsonInterval.Bounds(canaryEvents, canaryTotal, z);
        var d = pc - pb;
        var below = Math.Sqrt(Square(pc - c.Lower) + Square(b.Upper - pb));
        var above = Math.Sqrt(Square(c.Upper - pc) + Square(pb - b.Lower));
        return new ProportionInterval(d, new ConfidenceInterval(d - below, d + above), null);
    }

    private static double Square(double v) => v * v;
}
