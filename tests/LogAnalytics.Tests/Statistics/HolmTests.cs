using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class HolmTests
{
    private const string File = "holm.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_statsmodels_multipletests_holm(string name)
    {
        var c = Fixture.Case(name);
        var expected = c.Numbers("adjusted");
        var actual = Holm.Adjust(c.Numbers("p_values"));

        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Approx.Equal(expected[i], actual[i], 1e-12, 1e-300, $"adjusted[{i}]");
        }
    }

    [Fact]
    public void Empty_input_gives_empty_output()
    {
        Assert.Empty(Holm.Adjust([]));
    }

    [Fact]
    public void P_value_outside_zero_one_is_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Holm.Adjust([0.2, 1.5]));
    }
}
