using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class NewcombeDifferenceIntervalTests
{
    private const string File = "newcombe.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_statsmodels_confint_proportions_2indep_newcomb(string name)
    {
        var c = Fixture.Case(name);
        var result = NewcombeDifferenceInterval.Compute(
            c.Integer("baseline_events"), c.Integer("baseline_total"), c.Integer("canary_events"), c.Integer("canary_total"),
            c.Number("alpha"));

        Assert.True(result.IsComputable);
        Approx.Equal(c.Number("lower"), result.Interval.Lower, 1e-9, 1e-15, "lower");
        Approx.Equal(c.Number("upper"), result.Interval.Upper, 1e-9, 1e-15, "upper");
        Assert.True(result.Interval.Contains(result.Estimate));
    }

    [Fact]
    public void Difference_is_canary_minus_baseline()
    {
        var result = NewcombeDifferenceInterval.Compute(10, 1000, 30, 1000);

        Approx.Equal(0.02, result.Estimate, 1e-12);
        Assert.True(result.Interval.Lower > 0);
    }

    [Fact]
    public void No_requests_is_not_computable()
    {
        Assert.False(NewcombeDifferenceInterval.Compute(0, 10, 0, 0).IsComputable);
    }
}
