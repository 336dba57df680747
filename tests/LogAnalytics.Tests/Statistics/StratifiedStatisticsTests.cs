using LogAnalytics.Statistics;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

/// <summary>The per-model statistics against statsmodels (stratified.json, written by
/// reference/make_stratified_reference.py): the Cochran–Mantel–Haenszel test and the Mantel–Haenszel pooled odds and
/// risk ratios (StratifiedTable), the Mantel–Haenszel risk difference (re-implemented in numpy), and the weighted
/// combination with inverse-variance weights (meta_analysis.combine_effects, fixed effect).</summary>
public sealed class StratifiedStatisticsTests
{
    private const string File = "stratified.json";
    private static StatisticsFixture Fixture => StatisticsFixture.Load(File);

    public static TheoryData<string> Cmh() => Named("cmh");
    public static TheoryData<string> Combine() => Named("combine");

    private static TheoryData<string> Named(string kind)
    {
        var data = new TheoryData<string>();
        foreach (var name in Fixture.CaseNames.Where(n => Fixture.Case(n).GetProperty("kind").GetString() == kind))
        {
            data.Add(name);
        }
        return data;
    }

    private static void Close(double expected, double actual, double relative = 1e-9) =>
        Assert.True(Math.Abs(expected - actual) <= relative * Math.Max(1e-12, Math.Abs(expected)) + 1e-15,
            $"expected {expected:R}, got {actual:R}");

    [Theory]
    [MemberData(nameof(Cmh))]
    public void Cochran_Mantel_Haenszel_matches_statsmodels_StratifiedTable(string name)
    {
        var c = Fixture.Case(name);
        var strata = c.GetProperty("strata").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(v => v.GetInt64()).ToArray())
            .Select(s => new Stratum2x2(s[0], s[1], s[2], s[3])).ToList();

        var plain = MantelHaenszel.Analyse(strata);
        var corrected = MantelHaenszel.Analyse(strata, continuityCorrection: true);

        Assert.True(plain.IsComputable);
        Close(c.Number("statistic"), plain.Statistic, 1e-9);
        Close(c.Number("p_value"), plain.PValue, 1e-9);
        Close(c.Number("statistic_corrected"), corrected.Statistic, 1e-9);
        Close(c.Number("p_value_corrected"), corrected.PValue, 1e-9);
        Close(c.Number("mh_risk_difference"), plain.RiskDifference, 1e-9);
        if (!c.IsNull("odds_ratio"))
        {
            Close(c.Number("odds_ratio"), plain.OddsRatio, 1e-9);
        }
        if (!c.IsNull("risk_ratio"))
        {
            Close(c.Number("risk_ratio"), plain.RiskRatio, 1e-9);
        }
    }

    [Theory]
    [MemberData(nameof(Combine))]
    public void Inverse_variance_combination_matches_statsmodels_combine_effects(string name)
    {
        var c = Fixture.Case(name);
        var effects = c.GetProperty("effects").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        var variances = c.GetProperty("variances").EnumerateArray().Select(v => v.GetDouble()).ToArray();

        var (estimate, variance) = StratifiedCombination.Combine(StratifiedCombination.InverseVariance(effects.Zip(variances)));

        Close(c.Number("estimate"), estimate, 1e-12);
        Close(c.Number("variance"), variance, 1e-12);
    }

    [Fact]
    public void Mantel_Haenszel_weights_give_the_Mantel_Haenszel_risk_difference()
    {
        // The weighted-mean path with weights n_b n_c / N and per-stratum differences is the MH risk difference.
        var strata = new[] { new Stratum2x2(400, 8000, 10, 200), new Stratum2x2(20, 2000, 8, 800) };
        var (estimate, _) = StratifiedCombination.Combine(strata.Select(s => new StratumEstimate(
            (double)s.CanaryEvents / s.CanaryTotal - (double)s.BaselineEvents / s.BaselineTotal, 1e-4,
            MantelHaenszel.Weight(s.BaselineTotal, s.CanaryTotal))).ToList());

        Close(MantelHaenszel.Analyse(strata).RiskDifference, estimate, 1e-12);
        // Simpson's paradox in this table: pooled, the canary fails 1.8 % against the baseline's 4.2 % although each
        // model fails at exactly the same rate on both sides.
        Assert.Equal(0, estimate, 12);
    }

    [Fact]
    public void Bad_input_is_refused_and_strata_without_both_sides_are_skipped()
    {
        Assert.Throws<ArgumentException>(() => StratifiedCombination.Combine([]));
        Assert.Throws<ArgumentException>(() => StratifiedCombination.Combine([new StratumEstimate(double.NaN, 1, 1)]));
        Assert.Throws<ArgumentException>(() => StratifiedCombination.Combine([new StratumEstimate(0.1, 1, 0)]));
        Assert.False(MantelHaenszel.Analyse([new Stratum2x2(1, 10, 0, 0)]).IsComputable);
        var oneSided = MantelHaenszel.Analyse([new Stratum2x2(1, 10, 0, 0), new Stratum2x2(5, 100, 2, 20)]);
        Assert.Equal(1, oneSided.Strata);
        var noEvents = MantelHaenszel.Analyse([new Stratum2x2(0, 100, 0, 20)]);
        Assert.Equal(1.0, noEvents.PValue);
    }
}
