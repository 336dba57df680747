using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class WilsonIntervalTests
{
    private const string File = "wilson.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_statsmodels_proportion_confint_wilson(string name)
    {
        var c = Fixture.Case(name);
        var result = WilsonInterval.Compute(c.Integer("events"), c.Integer("total"), c.Number("alpha"));

        Assert.True(result.IsComputable);
        // Bounds at 0 and 1 come out of a subtraction, so compare them absolutely.
        Approx.Equal(c.Number("lower"), result.Interval.Lower, 1e-9, 1e-15, "lower");
        Approx.Equal(c.Number("upper"), result.Interval.Upper, 1e-9, 1e-15, "upper");
    }

    [Fact]
    public void No_requests_is_not_computable()
    {
        var result = WilsonInterval.Compute(0, 0);

        Assert.False(result.IsComputable);
        Assert.Equal(ConfidenceInterval.Unbounded, result.Interval);
    }
}
