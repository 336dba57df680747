namespace LogAnalytics.Statistics;

/// <summary>
/// Rank sum of the first sample in the pooled sample, with mid-ranks for ties, and the tie term Σ(t³ − t)
/// over the groups of tied values. Computed by merging two sorted copies: O(n log n) time, no pooled array.
/// </summary>
/// <param name="FirstRankSum">Sum of the mid-ranks (1-based) of the first sample's values.</param>
/// <param name="TieTerm">Σ(t³ − t) over all groups of t equal values in the pooled sample.</param>
/// <param name="FirstCount">Size m of the first sample.</param>
/// <param name="SecondCount">Size n of the second sample.</param>
internal readonly record struct RankSum(double FirstRankSum, double TieTerm, int FirstCount, int SecondCount)
{
    /// <summary>Mann-Whitney U of the first sample: R₁ − m(m+1)/2.</summary>
    public double FirstU => FirstRankSum - (FirstCount * (FirstCount + 1.0) / 2.0);

    /// <summary>
    /// Standard deviation of U under H0 with the tie correction
    /// σ = sqrt(mn/12 · ((N+1) − Σ(t³−t)/(N(N−1)))), N = m + n (Hollander &amp; Wolfe; scipy's _get_mwu_z).
    /// </summary>
    public double UStandardDeviation
    {
        get
        {
            double m = FirstCount, n = SecondCount, total = m + n;
            var inner = (total + 1.0) - (total > 1.0 ? TieTerm / (total * (total - 1.0)) : 0.0);
            return Math.Sqrt(Math.Max(0.0, m * n / 12.0 * inner));
        }
    }

    /// <summary>Ranks two samples that are each sorted ascending.</summary>
    public static RankSum OfSorted(ReadOnlySpan<double> first, ReadOnlySpan<double> second)
    {
        double rankSum = 0.0, tieTerm = 0.0;
        int i = 0, j = 0;
        long ranked = 0;
        while (i < first.Length || j < second.Length)
        {
            var value = j >= second.Length || (i < first.Length && first[i] <= second[j]) ? first[i] : second[j];
            var fromFirst = 0;
            while (i < first.Length && first[i] == value)
            {
                i++;
                fromFirst++;
            }

            var fromSecond = 0;
            while (j < second.Length && second[j] == value)
            {
                j++;
                fromSecond++;
            }

            double tied = fromFirst + fromSecond;
            var midRank = ranked + ((tied + 1.0) / 2.0);
            rankSum += fromFirst * midRank;
            tieTerm += (tied * tied * tied) - tied;
            ranked += fromFirst + fromSecond;
        }

        return new RankSum(rankSum, tieTerm, first.Length, second.Length);
    }
}
