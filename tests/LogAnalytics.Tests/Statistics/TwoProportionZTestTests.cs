using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class TwoProportionZTestTests
{
    private const string File = "two_proportion_ztest.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_statsmodels_proportions_ztest(string name)
    {
        var c = Fixture.Case(name);
        var result = TwoProportionZTest.Test(
            c.Integer("baseline_events"), c.Integer("baseline_total"), c.Integer("canary_events"), c.Integer("canary_total"));

        Assert.True(result.IsComputable);
        Approx.Equal(c.Number("z"), result.Z, 1e-9, 1e-12, "z");
        Approx.Equal(c.Number("p_value"), result.PValue, 1e-9, 1e-300, "p");
    }

    [Theory]
    [InlineData(0, 1000, 0, 2000)]
    [InlineData(50, 50, 7, 7)]
    public void Equal_degenerate_rates_give_z_zero_and_p_one_not_NaN(long xb, long nb, long xc, long nc)
    {
        var result = TwoProportionZTest.Test(xb, nb, xc, nc);

        Assert.True(result.IsComputable);
        Assert.Equal(0.0, result.Z);
        Assert.Equal(1.0, result.PValue);
    }

    [Fact]
    public void Canary_with_higher_rate_gives_positive_z()
    {
        var result = TwoProportionZTest.Test(10, 1000, 30, 1000);

        Assert.True(result.Z > 0);
        Approx.Equal(0.02, result.Difference, 1e-12);
    }

    [Fact]
    public void No_requests_is_not_computable()
    {
        Assert.False(TwoProportionZTest.Test(0, 0, 1, 10).IsComputable);
    }

    [Fact]
    public void More_events_than_requests_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TwoProportionZTest.Test(11, 10, 1, 10));
    }
}
