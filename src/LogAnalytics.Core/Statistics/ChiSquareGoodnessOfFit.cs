using MathNet.Numerics;

namespace LogAnalytics.Statistics;

/// <summary>
/// Pearson's chi-square goodness-of-fit test: X² = Σ(o − e)²/e with k − 1 degrees of freedom, p = P(χ²ₖ₋₁ ≥ X²)
/// (upper regularized gamma, accurate in the tail). Equals <c>scipy.stats.chisquare(f_obs, f_exp)</c>.
/// Used for the sample-ratio-mismatch (SRM) check: observed baseline/canary request counts against the stage's
/// traffic weights (<see cref="TestAgainstWeights"/>).
/// </summary>
internal static class ChiSquareGoodnessOfFit
{
    /// <summary>Tests observed counts against expected counts with the same total.</summary>
    /// <param name="observed">Observed counts (≥ 0).</param>
    /// <param name="expected">Expected counts (&gt; 0), same length and same total within 1e-8 relative.</param>
    /// <returns>The test; not computable with fewer than two categories or an expected count of zero.</returns>
    /// <exception cref="ArgumentException">Lengths differ or the totals disagree (a caller bug, as in scipy).</exception>
    public static ChiSquareResult Test(ReadOnlySpan<double> observed, ReadOnlySpan<double> expected)
    {
        if (observed.Length != expected.Length)
        {
            throw new ArgumentException($"observed has {observed.Length} categories, expected {expected.Length}.", nameof(expected));
        }

        Guard.Finite(observed, nameof(observed));
        Guard.Finite(expected, nameof(expected));
        if (observed.Length < 2)
        {
            return new ChiSquareResult(double.NaN, 0, double.NaN, "fewer than two categories");
        }

        double observedTotal = 0.0, expectedTotal = 0.0;
        for (var i = 0; i < observed.Length; i++)
        {
            if (observed[i] < 0.0)
            {
                throw new ArgumentOutOfRangeException(nameof(observed), "observed counts must not be negative.");
            }

            if (expected[i] <= 0.0)
            {
                return new ChiSquareResult(double.NaN, observed.Length - 1, double.NaN,
                    $"expected count of category {i} is {expected[i]}; every category needs a positive weight");
            }

            observedTotal += observed[i];
            expectedTotal += expected[i];
        }

        if (Math.Abs(observedTotal - expectedTotal) > StatisticsDefaults.ChiSquareTotalRelativeTolerance * Math.Min(observedTotal, expectedTotal))
        {
            throw new ArgumentException(
                $"observed total {observedTotal} and expected total {expectedTotal} differ; scale the expected counts.",
                nameof(expected));
        }

        var statistic = 0.0;
        for (var i = 0; i < observed.Length; i++)
        {
            var d = observed[i] - expected[i];
            statistic += d * d / expected[i];
        }

        var df = observed.Length - 1;
        var p = statistic == 0.0 ? 1.0 : SpecialFunctions.GammaUpperRegularized(df / 2.0, statistic / 2.0);
        return new ChiSquareResult(statistic, df, p, null);
    }

    /// <summary>SRM check: observed counts against counts proportional to <paramref name="weights"/>.</summary>
    /// <param name="observed">Observed request counts per arm (e.g. baseline, canary).</param>
    /// <param name="weights">Configured traffic weights (&gt; 0), any scale.</param>
    /// <returns>The test; not computable when nothing was observed or a weight is not positive.</returns>
    public static ChiSquareResult TestAgainstWeights(ReadOnlySpan<long> observed, ReadOnlySpan<double> weights)
    {
        if (observed.Length != weights.Length)
        {
            throw new ArgumentException($"observed has {observed.Length} categories, weights {weights.Length}.", nameof(weights));
        }

        Guard.Finite(weights, nameof(weights));
        double total = 0.0, weightTotal = 0.0;
        foreach (var o in observed)
        {
            total += o;
        }

        foreach (var w in weights)
        {
            weightTotal += w;
        }

        if (total <= 0.0)
        {
            return new ChiSquareResult(double.NaN, observed.Length - 1, double.NaN, "no requests observed");
        }

        var o2 = new double[observed.Length];
        var e = new double[observed.Length];
        for (var i = 0; i < observed.Length; i++)
        {
            o2[i] = observed[i];
            e[i] = total * weights[i] / weightTotal;
        }

        return Test(o2, e);
    }
}

/// <summary>Result of a <see cref="ChiSquareGoodnessOfFit"/> test.</summary>
/// <param name="Statistic">Pearson's X²; NaN when not computable.</param>
/// <param name="DegreesOfFreedom">Number of categories − 1.</param>
/// <param name="PValue">P(χ² ≥ X²); NaN when not computable.</param>
/// <param name="NotComputableReason">Why no test was possible, or null.</param>
internal readonly record struct ChiSquareResult(double Statistic, int DegreesOfFreedom, double PValue, string? NotComputableReason)
{
    /// <summary>True when the test ran.</summary>
    public bool IsComputable => NotComputableReason is null;
}
