using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

/// <summary>The building blocks every p-value and interval rests on: StandardNormal and BinomialDistribution.</summary>
public sealed class DistributionsTests
{
    private const string File = "distributions.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_scipy_stats(string name)
    {
        var c = Fixture.Case(name);
        var expected = c.Number("value");
        switch (c.GetProperty("kind").GetString())
        {
            case "norm_sf":
                Approx.Equal(expected, StandardNormal.Sf(c.Number("x")), 1e-12, label: name);
                break;
            case "norm_ppf":
                Approx.Equal(expected, StandardNormal.Quantile(c.Number("x")), 1e-12, label: name);
                break;
            case "binom_ppf":
                Assert.Equal((long)expected, BinomialDistribution.Quantile(c.Number("x"), c.Integer("n"), c.Number("q")));
                break;
            case "binom_cdf":
                // 1e-9: MathNet's incomplete beta drifts to ~2e-10 relative at n = 1e5 (scipy is right there, to
                // 1e-15, against an exact rational sum of binomial coefficients).
                Approx.Equal(expected, BinomialDistribution.Cdf(c.Integer("x"), c.Integer("n"), c.Number("q")), 1e-9, 1e-300, name);
                break;
            default:
                Assert.Fail($"unknown kind in {name}");
                break;
        }
    }

    [Fact]
    public void Two_sided_critical_value_of_alpha_005_is_1_96()
    {
        // scipy.stats.norm.isf(0.025) = 1.959963984540054
        Approx.Equal(1.959963984540054, StandardNormal.TwoSidedCritical(0.05), 1e-14);
    }
}
