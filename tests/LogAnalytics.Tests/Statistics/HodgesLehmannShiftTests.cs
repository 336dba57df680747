using LogAnalytics.Statistics;
using MathNet.Numerics.Distributions;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class HodgesLehmannShiftTests
{
    private const string File = "hodges_lehmann.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_reference_over_all_pairwise_differences(string name)
    {
        var c = Fixture.Case(name);
        var result = HodgesLehmannShift.Estimate(Fixture.Data(c, "baseline"), Fixture.Data(c, "canary"), c.Number("alpha"));

        Assert.True(result.IsComputable);
        Approx.Equal(c.Number("estimate"), result.Shift, 1e-12, 1e-12, "estimate");
        if (c.IsNull("lower_rank"))
        {
            Assert.False(result.HasFiniteInterval);
            Assert.Equal(ConfidenceInterval.Unbounded, result.Interval);
            return;
        }

        Assert.Equal(c.Integer("lower_rank"), result.LowerRank);
        Assert.Equal(c.Integer("upper_rank"), result.UpperRank);
        // Order statistics are single differences y[j] - x[i]: they must be bit-identical.
        Assert.Equal(c.Number("lower"), result.Interval.Lower);
        Assert.Equal(c.Number("upper"), result.Interval.Upper);
    }

    [Fact]
    public void Empty_sample_is_not_computable()
    {
        var result = HodgesLehmannShift.Estimate([1.0], []);

        Assert.False(result.IsComputable);
    }

    [Fact]
    public void Interval_covers_the_true_shift_about_95_percent_of_the_time()
    {
        // Independent check of the method (the fixture only re-implements it): shifted exponential samples,
        // n = 25 vs 35, true shift 0.3, 600 seeded repetitions. Binomial sd at 0.95 is 0.009.
        var random = new Random(1701);
        const int repetitions = 600;
        var covered = 0;
        for (var r = 0; r < repetitions; r++)
        {
            var x = Sample(random, 25, 0.0);
            var y = Sample(random, 35, 0.3);
            if (HodgesLehmannShift.Estimate(x, y).Interval.Contains(0.3))
            {
                covered++;
            }
        }

        var coverage = covered / (double)repetitions;
        Assert.InRange(coverage, 0.92, 0.98);
    }

    [Fact]
    public void Large_samples_need_no_subsample()
    {
        // 100,000 x 80,000 = 8e9 differences, far too many to list; selection is O((m + n) * 64) per order
        // statistic. Exponential(1): asymptotic sd of the estimate is sqrt((1/m + 1/n) / 3) = 0.0027, so the
        // 95 % interval is about 0.0106 wide.
        var random = new Random(7);
        var x = Sample(random, 100_000, 0.0);
        var y = Sample(random, 80_000, 0.25);
        var result = HodgesLehmannShift.Estimate(x, y);

        Assert.InRange(result.Shift, 0.235, 0.265);
        Assert.True(result.Interval.Contains(result.Shift));
        Assert.InRange(result.Interval.Width, 0.008, 0.013);
    }

    private static double[] Sample(Random random, int n, double shift)
    {
        var values = new double[n];
        for (var i = 0; i < n; i++)
        {
            values[i] = Exponential.Sample(random, 1.0) + shift;
        }

        return values;
    }
}
