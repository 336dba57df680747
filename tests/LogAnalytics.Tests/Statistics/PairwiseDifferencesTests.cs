using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class PairwiseDifferencesTests
{
    [Theory]
    [InlineData(1, 1, 11)]
    [InlineData(3, 4, 12)]
    [InlineData(17, 9, 13)]
    [InlineData(40, 55, 14)]
    public void Every_order_statistic_equals_the_brute_force_sorted_list(int m, int n, int seed)
    {
        // Independent of the bisection: list all m*n differences and sort them. Values on a coarse grid with
        // negatives, so ties and -0.0 / 0.0 occur.
        var random = new Random(seed);
        var x = Grid(random, m);
        var y = Grid(random, n);
        var all = (from yj in y from xi in x select yj - xi).Order().ToArray();

        for (var k = 1; k <= all.Length; k++)
        {
            Assert.Equal(all[k - 1] + 0.0, PairwiseDifferences.Select(x, y, k));
        }
    }

    [Fact]
    public void Rank_outside_one_to_mn_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PairwiseDifferences.Select([1.0], [2.0, 3.0], 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => PairwiseDifferences.Select([1.0], [2.0, 3.0], 0));
    }

    private static double[] Grid(Random random, int n) =>
        Enumerable.Range(0, n).Select(_ => Math.Round((random.NextDouble() * 6.0) - 3.0, 1)).Order().ToArray();
}
