using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class MannWhitneyUTests
{
    private const string File = "mann_whitney_u.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_scipy_mannwhitneyu_asymptotic_with_continuity(string name)
    {
        var c = Fixture.Case(name);
        var result = MannWhitneyU.Test(Fixture.Data(c, "baseline"), Fixture.Data(c, "canary"));

        Assert.True(result.IsComputable);
        Approx.Equal(c.Number("u"), result.U, 1e-12, label: "U");
        Approx.Equal(c.Number("p_value"), result.PValue, 1e-9, label: "p");
    }

    [Fact]
    public void Empty_sample_is_flagged_not_computable_without_throwing()
    {
        var result = MannWhitneyU.Test([], [1.0, 2.0]);

        Assert.False(result.IsComputable);
        Assert.Contains("no data", result.NotComputableReason);
        Assert.True(double.IsNaN(result.PValue));
    }

    [Fact]
    public void All_values_identical_gives_p_of_one()
    {
        var result = MannWhitneyU.Test([3.0, 3.0, 3.0], [3.0, 3.0]);

        Assert.True(result.IsComputable);
        Assert.Equal(1.0, result.PValue);
        Assert.Equal(3.0, result.U); // mn/2
        Assert.Equal(0.5, result.CanarySuperiority);
    }

    [Fact]
    public void Canary_superiority_is_one_when_every_canary_value_is_larger()
    {
        var result = MannWhitneyU.Test([1.0, 2.0, 3.0], [4.0, 5.0]);

        Assert.Equal(0.0, result.U);
        Assert.Equal(1.0, result.CanarySuperiority);
    }

    [Fact]
    public void Non_finite_values_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => MannWhitneyU.Test([1.0, double.NaN], [2.0]));
    }
}
