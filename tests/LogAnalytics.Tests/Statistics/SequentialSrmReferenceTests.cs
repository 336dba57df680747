using LogAnalytics.Statistics;

namespace LogAnalytics.Tests.Statistics;

/// <summary>The sequential SRM Bayes factor and the Farrington–Manning restricted rates against 50-digit mpmath values
/// (reference/make_srm_reference.py).</summary>
public sealed class SequentialSrmReferenceTests
{
    public static TheoryData<string> DirichletCases => StatisticsFixture.Cases("dirichlet_multinomial.json");
    public static TheoryData<string> FarringtonCases => StatisticsFixture.Cases("farrington_manning.json");

    [Theory]
    [MemberData(nameof(DirichletCases))]
    public void Log_Bayes_factor_matches_mpmath(string name)
    {
        var c = StatisticsFixture.Load("dirichlet_multinomial.json").Case(name);
        var w = c.Number("weight");
        var tol = c.Number("tolerance");
        var concentration = (1 - w) / (tol * tol * w);
        var actual = SequentialMultinomialTest.LogBayesFactor([c.Integer("baseline"), c.Integer("canary")], [1 - w, w], [concentration * (1 - w), concentration * w]);
        Approx.Equal(c.Number("log_bayes_factor"), actual, relative: 1e-9, absolute: 1e-7, label: name);
    }

    [Theory]
    [MemberData(nameof(FarringtonCases))]
    public void Restricted_rates_and_score_match_mpmath(string name)
    {
        var c = StatisticsFixture.Load("farrington_manning.json").Case(name);
        var (p1, p2) = FarringtonManning.RestrictedRates(c.Integer("x1"), c.Integer("n1"), c.Integer("x2"), c.Integer("n2"), c.Number("delta"));
        Approx.Equal(c.Number("p1"), p1, relative: 1e-9, absolute: 1e-12, label: name + " p1");
        Approx.Equal(c.Number("p2"), p2, relative: 1e-9, absolute: 1e-12, label: name + " p2");
        Approx.Equal(c.Number("z"), FarringtonManning.ScoreZ(c.Integer("x1"), c.Integer("n1"), c.Integer("x2"), c.Integer("n2"), c.Number("delta")), relative: 1e-8, absolute: 1e-10, label: name + " z");
    }
}
