namespace LogAnalytics.Statistics;

/// <summary>Default values shared by the statistics in this folder, kept in one place.</summary>
internal static class StatisticsDefaults
{
    /// <summary>Default two-sided error rate of intervals and tests: 0.05 (95 % confidence).</summary>
    public const double Alpha = 0.05;
}
