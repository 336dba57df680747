namespace LogAnalytics.Statistics;

/// <summary>Default values shared by the statistics in this folder, kept in one place.</summary>
internal static class StatisticsDefaults
{
    /// <summary>Default two-sided error rate of intervals and tests: 0.05 (95 % confidence).</summary>
    public const double Alpha = 0.05;

    /// <summary>
    /// Level of the order-statistic interval from which <see cref="QuantileDifference"/> derives a quantile's
    /// standard error (Bonett &amp; Price 2002): 0.95. Independent of the level of the reported interval.
    /// </summary>
    public const double QuantileStandardErrorLevel = 0.95;

    /// <summary>
    /// Relative tolerance within which <see cref="ChiSquareGoodnessOfFit.Test"/> accepts that observed and
    /// expected totals agree: 1e-8, as scipy.stats.chisquare.
    /// </summary>
    public const double ChiSquareTotalRelativeTolerance = 1e-8;
}
