namespace LogAnalytics.Statistics;

/// <summary>
/// Holm's step-down adjustment for multiple tests (Holm 1979), controlling the family-wise error rate:
/// with p₍₁₎ ≤ … ≤ p₍ₘ₎, adjusted p₍ᵢ₎ = min(1, max_{j ≤ i} (m − j + 1)·p₍ⱼ₎), returned in the input order.
/// Equals <c>statsmodels.stats.multitest.multipletests(p, method="holm")[1]</c>.
/// Reject hypothesis i at family-wise level α when adjusted[i] ≤ α.
/// </summary>
internal static class Holm
{
    /// <summary>Adjusted p-values in the order of <paramref name="pValues"/> (a new array).</summary>
    /// <param name="pValues">Raw p-values in [0, 1].</param>
    public static double[] Adjust(ReadOnlySpan<double> pValues)
    {
        var m = pValues.Length;
        var order = new int[m];
        var sorted = new double[m];
        for (var i = 0; i < m; i++)
        {
            if (!(pValues[i] >= 0.0 && pValues[i] <= 1.0))
            {
                throw new ArgumentOutOfRangeException(nameof(pValues), pValues[i], $"p-value {i} is not in [0, 1].");
            }

            order[i] = i;
            sorted[i] = pValues[i];
        }

        // Tied p-values get the same adjusted value whatever their order, so an unstable sort is fine.
        Array.Sort(sorted, order);
        var adjusted = new double[m];
        var running = 0.0;
        for (var i = 0; i < m; i++)
        {
            running = Math.Max(running, (m - i) * sorted[i]);
            adjusted[order[i]] = Math.Min(1.0, running);
        }

        return adjusted;
    }
}
