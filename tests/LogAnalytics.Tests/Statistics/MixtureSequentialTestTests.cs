using LogAnalytics.Statistics;
using MathNet.Numerics.Distributions;
using Xunit;

namespace LogAnalytics.Tests.Statistics;

public sealed class MixtureSequentialTestTests
{
    private const string File = "msprt.json";
    private static readonly StatisticsFixture Fixture = StatisticsFixture.Load(File);

    public static TheoryData<string> Cases => StatisticsFixture.Cases(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Arithmetic_matches_the_numpy_formulas(string name)
    {
        // The reference re-computes the same closed forms in python: this checks arithmetic, not validity.
        var c = Fixture.Case(name);
        double estimate = c.Number("estimate"), v = c.Number("variance"), theta0 = c.Number("null_value");
        double tau2 = c.Number("mixture_variance"), alpha = c.Number("alpha");

        var twoSided = MixtureSequentialTest.TwoSided(estimate, v, theta0, tau2, alpha);
        Approx.Equal(c.Number("log_likelihood_ratio"), twoSided.LogLikelihoodRatio, 1e-9, 1e-12, "log LR");
        Approx.Equal(c.Number("p_value"), twoSided.PValue, 1e-9, 1e-300, "p");
        Approx.Equal(c.Number("lower"), twoSided.ConfidenceSequence.Lower, 1e-9, 1e-15, "lower");
        Approx.Equal(c.Number("upper"), twoSided.ConfidenceSequence.Upper, 1e-9, 1e-15, "upper");

        var greater = MixtureSequentialTest.Evaluate(estimate, v, theta0, tau2, AlternativeHypothesis.Greater, alpha);
        Approx.Equal(c.Number("p_value_greater"), greater.PValue, 1e-9, 1e-300, "p greater");
        Approx.Equal(c.Number("one_sided_lower"), greater.ConfidenceSequence.Lower, 1e-9, 1e-15, "one-sided lower");
        Assert.Equal(double.PositiveInfinity, greater.ConfidenceSequence.Upper);

        var less = MixtureSequentialTest.Evaluate(estimate, v, theta0, tau2, AlternativeHypothesis.Less, alpha);
        Approx.Equal(c.Number("p_value_less"), less.PValue, 1e-9, 1e-300, "p less");
        Approx.Equal(c.Number("one_sided_upper"), less.ConfidenceSequence.Upper, 1e-9, 1e-15, "one-sided upper");
        Assert.Equal(double.NegativeInfinity, less.ConfidenceSequence.Lower);
    }

    [Theory]
    [InlineData(2e-6, 8e-6, 0.05)]
    [InlineData(16.0, 100.0, 0.01)]
    [InlineData(1e-4, 1e-2, 0.10)]
    public void One_sided_bound_lies_between_the_two_sided_sequences_at_2alpha_and_alpha(double v, double tau2, double alpha)
    {
        var oneSided = MixtureSequentialTest.OneSidedHalfWidth(v, tau2, alpha);

        Assert.True(oneSided < MixtureSequentialTest.TwoSidedHalfWidth(v, tau2, alpha));
        Assert.True(oneSided > MixtureSequentialTest.TwoSidedHalfWidth(v, tau2, 2 * alpha));
    }

    [Fact]
    public void P_value_and_sequence_agree_at_the_boundary()
    {
        // θ0 exactly on the edge of the confidence sequence gives Λ = 1/α, i.e. p = α.
        const double v = 3e-6, tau2 = 2e-5, alpha = 0.05;
        var edge = MixtureSequentialTest.TwoSidedHalfWidth(v, tau2, alpha);
        Approx.Equal(alpha, MixtureSequentialTest.TwoSided(0.01, v, 0.01 - edge, tau2, alpha).PValue, 1e-10);

        var oneSided = MixtureSequentialTest.OneSidedHalfWidth(v, tau2, alpha);
        Approx.Equal(alpha, MixtureSequentialTest.Evaluate(0.01, v, 0.01 + oneSided, tau2, AlternativeHypothesis.Less, alpha).PValue, 1e-10);
    }

    [Fact]
    public void Mixture_variance_tight_at_a_variance_minimises_the_width_there()
    {
        const double v = 2e-6, alpha = 0.05;
        var tau2 = MixtureSequentialTest.MixtureVarianceTightAt(v, alpha);
        var best = MixtureSequentialTest.TwoSidedHalfWidth(v, tau2, alpha);

        // r = tau2 / V solves r = 2 ln 20 + ln(1 + r): 7.9956... (fixed point, checked by hand iteration)
        Approx.Equal(2 * Math.Log(20) + Math.Log(1 + (tau2 / v)), tau2 / v, 1e-12);
        Assert.True(best < MixtureSequentialTest.TwoSidedHalfWidth(v, tau2 * 1.05, alpha));
        Assert.True(best < MixtureSequentialTest.TwoSidedHalfWidth(v, tau2 / 1.05, alpha));
    }

    [Fact]
    public void Zero_variance_is_not_computable_and_leaves_the_running_p_value_alone()
    {
        var look = MixtureSequentialTest.TwoSided(0.0, 0.0, 0.0, 1e-5);
        var running = AlwaysValidPValue.Initial.Observe(0.2).Observe(look);

        Assert.False(look.IsComputable);
        Assert.False(look.Rejects);
        Assert.Equal(new AlwaysValidPValue(0.2, 1), running);
    }

    [Fact]
    public void Running_p_value_is_the_minimum_over_looks()
    {
        var running = AlwaysValidPValue.Initial.Observe(0.4).Observe(0.03).Observe(0.7);

        Assert.Equal(0.03, running.Value);
        Assert.Equal(3, running.Looks);
        Assert.True(running.Rejects(0.05));
        Assert.False(running.Rejects(0.01));
    }

    [Fact]
    public void AA_error_rates_stay_below_alpha_under_continuous_monitoring_while_naive_retesting_does_not()
    {
        // 300 A/A experiments, both arms p = 0.02, 25 looks every 800 requests per arm (to 20,000). A rejection
        // at any look counts. Binomial sd of a 0.05 rate over 300 runs is 0.013, so 0.08 is 2.4 sd above alpha.
        var sim = Simulate(seed: 2024, experiments: 300, baselineRate: 0.02, canaryRate: 0.02);

        Assert.InRange(sim.TwoSided, 0.0, 0.08);
        Assert.InRange(sim.OneSidedLess, 0.0, 0.08);
        Assert.InRange(sim.OneSidedGreater, 0.0, 0.08);
        Assert.True(sim.Naive > 0.10, $"naive repeated z-test rejected in {sim.Naive:P1} of A/A runs");
        Assert.True(sim.Naive > 2 * sim.TwoSided);
    }

    [Fact]
    public void Detects_a_real_50_percent_error_rate_increase()
    {
        var sim = Simulate(seed: 99, experiments: 100, baselineRate: 0.02, canaryRate: 0.03);

        Assert.True(sim.TwoSided >= 0.95, $"power {sim.TwoSided:P1}");
        Assert.True(sim.OneSidedGreater >= 0.95, $"one-sided power {sim.OneSidedGreater:P1}");
    }

    private static (double TwoSided, double OneSidedGreater, double OneSidedLess, double Naive) Simulate(
        int seed, int experiments, double baselineRate, double canaryRate)
    {
        const int looks = 25, perLook = 800;
        const double alpha = 0.05;
        var random = new Random(seed);
        var tau2 = MixtureSequentialTest.MixtureVarianceTightAt(2 * 0.02 * 0.98 / (looks * perLook), alpha);
        int twoSided = 0, greater = 0, less = 0, naive = 0;
        for (var e = 0; e < experiments; e++)
        {
            long xb = 0, xc = 0, n = 0;
            AlwaysValidPValue pTwo = AlwaysValidPValue.Initial, pGreater = pTwo, pLess = pTwo;
            var naiveRejected = false;
            for (var look = 0; look < looks; look++)
            {
                xb += Binomial.Sample(random, baselineRate, perLook);
                xc += Binomial.Sample(random, canaryRate, perLook);
                n += perLook;
                double pb = xb / (double)n, pc = xc / (double)n;
                var v = (pb * (1 - pb) / n) + (pc * (1 - pc) / n);
                pTwo = pTwo.Observe(MixtureSequentialTest.TwoSided(pc - pb, v, 0.0, tau2, alpha));
                pGreater = pGreater.Observe(MixtureSequentialTest.Evaluate(pc - pb, v, 0.0, tau2, AlternativeHypothesis.Greater, alpha));
                pLess = pLess.Observe(MixtureSequentialTest.Evaluate(pc - pb, v, 0.0, tau2, AlternativeHypothesis.Less, alpha));
                naiveRejected |= TwoProportionZTest.Test(xb, n, xc, n).PValue <= alpha;
            }

            twoSided += pTwo.Rejects(alpha) ? 1 : 0;
            greater += pGreater.Rejects(alpha) ? 1 : 0;
            less += pLess.Rejects(alpha) ? 1 : 0;
            naive += naiveRejected ? 1 : 0;
        }

        double total = experiments;
        return (twoSided / total, greater / total, less / total, naive / total);
    }
}
