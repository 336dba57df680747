namespace LogAnalytics.Statistics;

/// <summary>
/// Welch's unequal-variance t-test (Welch 1947) for mean(canary) − mean(baseline), with Welch-Satterthwaite
/// degrees of freedom ν = (s²_b/n_b + s²_c/n_c)² / ((s²_b/n_b)²/(n_b−1) + (s²_c/n_c)²/(n_c−1)) and the interval
/// d ± t_{ν, 1−α/2}·SE. Equals <c>scipy.stats.ttest_ind(canary, baseline, equal_var=False)</c> (t, p) and
/// statsmodels <c>CompareMeans(canary, baseline).ttest_ind / tconfint_diff(usevar="unequal")</c> (ν, interval);
/// newer scipy reports the same ν and interval as <c>.df</c> and <c>.confidence_interval()</c>.
/// The p-value is I_{ν/(ν+t²)}(ν/2, 1/2) (regularized incomplete beta), exact in the tails.
/// </summary>
internal static class WelchTTest
{
    /// <summary>Tests mean(canary) = mean(baseline).</summary>
    /// <param name="baseline">Baseline values (finite), at least 2.</param>
    /// <param name="canary">Canary values (finite), at least 2.</param>
    /// <param name="alpha">Two-sided error rate of the interval; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    /// <returns>
    /// The test; not computable with fewer than two values in a sample, or when both samples are constant
    /// with different means. Both constant with equal means gives t = 0, p = 1.
    /// </returns>
    public static WelchTTestResult Test(
        ReadOnlySpan<double> baseline, ReadOnlySpan<double> canary, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        Guard.Finite(baseline, nameof(baseline));
        Guard.Finite(canary, nameof(canary));
        if (baseline.Length < 2 || canary.Length < 2)
        {
            return NotComputable($"need two values per sample: baseline has {baseline.Length}, canary {canary.Length}");
        }

        var (meanB, varB) = MeanAndVariance(baseline);
        var (meanC, varC) = MeanAndVariance(canary);
        var difference = meanC - meanB;
        var vb = varB / baseline.Length;
        var vc = varC / canary.Length;
        var se2 = vb + vc;
        if (se2 == 0.0)
        {
            return difference == 0.0
                ? new WelchTTestResult(difference, 0.0, 0.0, double.NaN, 1.0, new ConfidenceInterval(0.0, 0.0), null)
                : NotComputable("both samples are constant and differ; the difference is exact, not testable");
        }

        var se = Math.Sqrt(se2);
        var t = difference / se;
        var df = se2 * se2 / ((vb * vb / (baseline.Length - 1)) + (vc * vc / (canary.Length - 1)));
        var p = StudentT.TwoSidedPValue(t, df);
        var critical = StudentT.TwoSidedCritical(alpha, df);
        var interval = new ConfidenceInterval(difference - (critical * se), difference + (critical * se));
        return new WelchTTestResult(difference, se, t, df, p, interval, null);
    }

    // Two-pass mean and unbiased variance (ddof = 1), as numpy.
    private static (double Mean, double Variance) MeanAndVariance(ReadOnlySpan<double> sample)
    {
        var sum = 0.0;
        foreach (var v in sample)
        {
            sum += v;
        }

        var mean = sum / sample.Length;
        var squares = 0.0;
        foreach (var v in sample)
        {
            var d = v - mean;
            squares += d * d;
        }

        return (mean, squares / (sample.Length - 1));
    }

    private static WelchTTestResult NotComputable(string reason) =>
        new(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, ConfidenceInterval.Unbounded, reason);
}

/// <summary>Result of <see cref="WelchTTest.Test"/>.</summary>
/// <param name="MeanDifference">mean(canary) − mean(baseline).</param>
/// <param name="StandardError">sqrt(s²_b/n_b + s²_c/n_c).</param>
/// <param name="T">MeanDifference / StandardError.</param>
/// <param name="DegreesOfFreedom">Welch-Satterthwaite ν (NaN when both samples are constant).</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="Interval">Confidence interval for mean(canary) − mean(baseline).</param>
/// <param name="NotComputableReason">Why no test was possible, or null.</param>
internal readonly record struct WelchTTestResult(
    double MeanDifference, double StandardError, double T, double DegreesOfFreedom, double PValue,
    ConfidenceInterval Interval, string? NotComputableReason)
{
    /// <summary>True when the test ran.</summary>
    public bool IsComputable => NotComputableReason is null;
}
