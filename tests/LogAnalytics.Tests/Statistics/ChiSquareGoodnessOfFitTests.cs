using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class ChiSquareGoodnessOfFitTests
{
    private const string File = "chisquare.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_scipy_chisquare(string name)
    {
        var c = Fixture.Case(name);
        var result = ChiSquareGoodnessOfFit.Test(c.Numbers("observed"), c.Numbers("expected"));

        Assert.True(result.IsComputable);
        Assert.Equal(c.Numbers("observed").Length - 1, result.DegreesOfFreedom);
        Approx.Equal(c.Number("statistic"), result.Statistic, 1e-9, 1e-12, "statistic");
        Approx.Equal(c.Number("p_value"), result.PValue, 1e-9, 1e-300, "p");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Weights_are_scaled_to_the_observed_total(string name)
    {
        var c = Fixture.Case(name);
        var observed = c.Numbers("observed").Select(v => (long)v).ToArray();
        var result = ChiSquareGoodnessOfFit.TestAgainstWeights(observed, c.Numbers("weights"));

        Approx.Equal(c.Number("statistic"), result.Statistic, 1e-9, 1e-12, "statistic");
        Approx.Equal(c.Number("p_value"), result.PValue, 1e-9, 1e-300, "p");
    }

    [Fact]
    public void No_requests_is_not_computable()
    {
        Assert.False(ChiSquareGoodnessOfFit.TestAgainstWeights([0, 0], [0.9, 0.1]).IsComputable);
    }

    [Fact]
    public void Zero_weight_is_not_computable()
    {
        var result = ChiSquareGoodnessOfFit.TestAgainstWeights([100, 3], [1.0, 0.0]);

        Assert.False(result.IsComputable);
        Assert.Contains("category 1", result.NotComputableReason);
    }

    [Fact]
    public void Totals_that_disagree_are_a_caller_error()
    {
        Assert.Throws<ArgumentException>(() => ChiSquareGoodnessOfFit.Test([10.0, 10.0], [10.0, 11.0]));
    }
}
