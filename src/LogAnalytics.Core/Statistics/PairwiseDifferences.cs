namespace LogAnalytics.Statistics;

/// <summary>
/// Order statistics of the m·n pairwise differences <c>y[j] − x[i]</c> of two sorted samples, found without
/// materialising them. The k-th smallest difference is the smallest double d with
/// #{(i, j) : y[j] − x[i] ≤ d} ≥ k; that count takes O(m + n) with two pointers (floating-point subtraction is
/// monotone in both arguments, so the count is exact for the differences as they are computed), and d is found
/// by bisection over the ordered bit patterns of doubles between the smallest and the largest difference
/// (at most 64 steps). Total O((m + n)·64) per order statistic; exact for any sample size, so no subsample cap
/// is needed.
/// </summary>
internal static class PairwiseDifferences
{
    /// <summary>Number of pairs with <c>y[j] − x[i] ≤ d</c>. Both samples sorted ascending.</summary>
    public static long CountAtMost(ReadOnlySpan<double> x, ReadOnlySpan<double> y, double d)
    {
        // For increasing x[i] the set {j : y[j] - x[i] <= d} only grows, so j never moves back.
        long count = 0;
        var j = 0;
        for (var i = 0; i < x.Length; i++)
        {
            while (j < y.Length && y[j] - x[i] <= d)
            {
                j++;
            }

            count += j;
        }

        return count;
    }

    /// <summary>The k-th smallest difference <c>y[j] − x[i]</c>, 1 ≤ k ≤ m·n. Both samples sorted ascending.</summary>
    public static double Select(ReadOnlySpan<double> x, ReadOnlySpan<double> y, long k)
    {
        var total = (long)x.Length * y.Length;
        if (k < 1 || k > total)
        {
            throw new ArgumentOutOfRangeException(nameof(k), k, $"k must lie in [1, {total}].");
        }

        var lo = OrderedKey(y[0] - x[^1]);   // smallest difference: count(lo) >= 1
        var hi = OrderedKey(y[^1] - x[0]);   // largest difference: count(hi) = m·n >= k
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (CountAtMost(x, y, FromOrderedKey(mid)) >= k)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return FromOrderedKey(lo) + 0.0; // + 0.0 turns a -0.0 into 0.0
    }

    // Maps doubles to unsigned integers with the same order (negative values reversed below the positive ones).
    private static ulong OrderedKey(double value)
    {
        var bits = (ulong)BitConverter.DoubleToInt64Bits(value);
        return (bits & SignBit) != 0 ? ~bits : bits | SignBit;
    }

    private static double FromOrderedKey(ulong key)
    {
        var bits = (key & SignBit) != 0 ? key & ~SignBit : ~key;
        return BitConverter.Int64BitsToDouble((long)bits);
    }

    private const ulong SignBit = 0x8000_0000_0000_0000UL;
}
