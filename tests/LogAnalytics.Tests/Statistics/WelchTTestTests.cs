using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class WelchTTestTests
{
    private const string File = "welch.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_scipy_ttest_ind_and_statsmodels_tconfint_diff(string name)
    {
        var c = Fixture.Case(name);
        var result = WelchTTest.Test(Fixture.Data(c, "baseline"), Fixture.Data(c, "canary"), c.Number("alpha"));

        Assert.True(result.IsComputable);
        Approx.Equal(c.Number("mean_difference"), result.MeanDifference, 1e-9, 1e-15, "mean difference");
        Approx.Equal(c.Number("t"), result.T, 1e-9, 1e-12, "t");
        Approx.Equal(c.Number("df"), result.DegreesOfFreedom, 1e-9, 0, "df");
        Approx.Equal(c.Number("p_value"), result.PValue, 1e-9, 1e-300, "p");
        Approx.Equal(c.Number("lower_exact"), result.Interval.Lower, 1e-9, 1e-15, "lower");
        Approx.Equal(c.Number("upper_exact"), result.Interval.Upper, 1e-9, 1e-15, "upper");

        // statsmodels' own bounds use scipy 1.10's t.ppf (cdflib stdtrit), good to ~1e-9 relative for
        // non-integer df: held to 1e-7 of the half-width.
        var halfWidth = (c.Number("upper") - c.Number("lower")) / 2.0;
        Approx.Equal(c.Number("lower"), result.Interval.Lower, 0, 1e-7 * halfWidth, "statsmodels lower");
        Approx.Equal(c.Number("upper"), result.Interval.Upper, 0, 1e-7 * halfWidth, "statsmodels upper");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Critical_value_matches_a_40_digit_mpmath_root(string name)
    {
        var c = Fixture.Case(name);

        // 1e-10: MathNet's incomplete beta keeps ~11 digits when a = df/2 is in the thousands (large samples).
        Approx.Equal(c.Number("t_critical"), StudentT.TwoSidedCritical(c.Number("alpha"), c.Number("df")), 1e-10);
    }

    [Fact]
    public void Fewer_than_two_values_is_not_computable()
    {
        var result = WelchTTest.Test([1.0], [1.0, 2.0, 3.0]);

        Assert.False(result.IsComputable);
    }

    [Fact]
    public void Identical_constant_samples_give_p_of_one()
    {
        var result = WelchTTest.Test([0.002, 0.002], [0.002, 0.002, 0.002]);

        Assert.True(result.IsComputable);
        Assert.Equal(0.0, result.T);
        Assert.Equal(1.0, result.PValue);
    }

    [Fact]
    public void Different_constant_samples_are_not_computable()
    {
        Assert.False(WelchTTest.Test([1.0, 1.0], [2.0, 2.0]).IsComputable);
    }
}
