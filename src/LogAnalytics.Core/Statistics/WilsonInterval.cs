namespace LogAnalytics.Statistics;

/// <summary>
/// Wilson score interval for a binomial proportion (Wilson 1927; Newcombe 1998, method 3): centre
/// (p̂ + z²/2n)/(1 + z²/n), half-width z·sqrt(p̂(1−p̂)/n + z²/4n²)/(1 + z²/n). Well behaved at 0 and n events.
/// Equals <c>statsmodels.stats.proportion.proportion_confint(x, n, alpha, method="wilson")</c>.
/// </summary>
internal static class WilsonInterval
{
    /// <summary>Interval for the proportion <paramref name="events"/> / <paramref name="total"/>.</summary>
    /// <param name="events">Number of events (errors), 0 ≤ events ≤ total.</param>
    /// <param name="total">Number of trials (requests).</param>
    /// <param name="alpha">Two-sided error rate; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    /// <returns>Estimate and interval; not computable when <paramref name="total"/> is 0.</returns>
    public static ProportionInterval Compute(long events, long total, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        Guard.Counts(events, total, nameof(events));
        if (total == 0)
        {
            return new ProportionInterval(double.NaN, ConfidenceInterval.Unbounded, "no requests");
        }

        var (p, interval) = Bounds(events, total, StandardNormal.TwoSidedCritical(alpha));
        return new ProportionInterval(p, interval, null);
    }

    /// <summary>Wilson bounds for a given critical value z; total &gt; 0.</summary>
    internal static (double Estimate, ConfidenceInterval Interval) Bounds(long events, long total, double z)
    {
        double n = total;
        var p = events / n;
        var z2 = z * z;
        var denominator = 1.0 + (z2 / n);
        var centre = (p + (z2 / (2.0 * n))) / denominator;
        var half = z * Math.Sqrt((p * (1.0 - p) / n) + (z2 / (4.0 * n * n))) / denominator;
        return (p, new ConfidenceInterval(centre - half, centre + half));
    }
}

/// <summary>A proportion and its confidence interval.</summary>
/// <param name="Estimate">events / total; NaN when not computable.</param>
/// <param name="Interval">Confidence interval.</param>
/// <param name="NotComputableReason">Why no interval exists, or null.</param>
internal readonly record struct ProportionInterval(double Estimate, ConfidenceInterval Interval, string? NotComputableReason)
{
    /// <summary>True when the interval was computed.</summary>
    public bool IsComputable => NotComputableReason is null;
}
