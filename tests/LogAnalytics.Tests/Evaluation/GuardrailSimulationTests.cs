using Xunit.Abstractions;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Verdicts;
using MathNet.Numerics.Distributions;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>
/// cost_per_request and validation_match_rate keep their error rates although the worker re-evaluates continuously:
/// seeded experiments judged at every look through the real evaluator, each claim asserted with a binomial bound.
/// </summary>
public sealed class GuardrailSimulationTests(ITestOutputHelper output)
{
    private const double Alpha = 0.05;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CheckedEvaluator Evaluator = CheckedEvaluator.CreateDefault(planWhileWaiting: false, everyVerdict: false);

    private static int UpperBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) >= 0.99);
    private static int LowerBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) > 0.01);

    private static ExperimentDefinition Experiment(Guardrail guardrail) => ExperimentCatalog.Defaults("sim") with
    {
        MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        MinSamples = 1,
        UsesDefaults = false,
        Guardrails = [guardrail],
    };

    private static readonly double[] Latencies = Enumerable.Range(0, 100).Select(i => 500.0 + i).ToArray();

    private static ExperimentSample Sample(int look, ArmCost baselineCost, ArmCost canaryCost, ValidationSample validation) => new()
    {
        Experiment = "sim",
        AsOf = Start.AddHours(look + 1),
        Stage = new StageInfo(25, Start, StageSource.Event),
        Baseline = new ArmSample(["legacy"], [.. Latencies, .. Latencies, .. Latencies], new Dictionary<string, long>()) { Cost = baselineCost },
        Canary = new ArmSample(["holy_sheep"], Latencies, new Dictionary<string, long>()) { Cost = canaryCost },
        Validation = validation,
    };

    /// <summary>Per experiment: did the check ever fail, ever pass, and did a naive fixed-horizon rule ever fire.</summary>
    private static (int EverFail, int EverPass, int NaiveFired) RunValidation(int experiments, int looks, int perLook, double trueRate, int seed)
    {
        var random = new Random(seed);
        var guardrail = new Guardrail(MetricNames.ValidationMatchRate, 0, false, HigherIsBetter: true, Threshold: 0.98);
        var (everFail, everPass, naive) = (0, 0, 0);
        for (var e = 0; e < experiments; e++)
        {
            var builder = new ValidationSampleBuilder();
            var (failed, passed, fired) = (false, false, false);
            for (var look = 0; look < looks; look++)
            {
                for (var i = 0; i < perLook; i++)
                {
                    builder.Add(random.NextDouble() < trueRate, null, null, null, null);
                }
                var sample = builder.Build();
                var check = Evaluator.Evaluate(Experiment(guardrail), Sample(look, ArmCost.Empty, ArmCost.Empty, sample), null).Checks.Single();
                failed |= check.Outcome == Outcomes.Fail;
                passed |= check.Outcome == Outcomes.Pass;
                // Naive: "clearly below" when the fixed-horizon Wilson 95 % upper bound is under the threshold, at every look.
                fired |= LogAnalytics.Statistics.WilsonInterval.Compute(sample.Matches, sample.Events, Alpha).Interval.Upper < 0.98;
            }
            everFail += failed ? 1 : 0;
            everPass += passed ? 1 : 0;
            naive += fired ? 1 : 0;
        }
        return (everFail, everPass, naive);
    }

    [Fact]
    public void A_match_rate_exactly_at_the_threshold_is_called_below_it_or_above_it_at_most_alpha_of_the_time_over_30_looks()
    {
        const int n = 200;
        var (everFail, everPass, naive) = RunValidation(n, looks: 30, perLook: 100, trueRate: 0.98, seed: 11);
        output.WriteLine($"rate = threshold, 30 looks x 100: fail {everFail}/{n}, pass {everPass}/{n}, naive Wilson rule {naive}/{n}");
        Assert.True(everFail <= UpperBound(n, Alpha), $"no_go at the threshold in {everFail}/{n}; bound {UpperBound(n, Alpha)}");
        Assert.True(everPass <= UpperBound(n, Alpha), $"pass at the threshold in {everPass}/{n}; bound {UpperBound(n, Alpha)}");
        Assert.True(naive > UpperBound(n, Alpha), $"the naive repeated Wilson rule fired in {naive}/{n}");
    }

    [Fact]
    public void A_canary_whose_answers_match_95_percent_of_the_time_is_caught_and_one_at_99_5_percent_passes()
    {
        const int n = 60;
        var wrong = RunValidation(n, looks: 30, perLook: 100, trueRate: 0.95, seed: 12);
        Assert.True(wrong.EverFail >= LowerBound(n, 0.9), $"caught {wrong.EverFail}/{n}");
        var good = RunValidation(n, looks: 30, perLook: 100, trueRate: 0.995, seed: 13);
        output.WriteLine($"rate 0.95: caught {wrong.EverFail}/{n}; rate 0.995: passed {good.EverPass}/{n}, failed {good.EverFail}/{n}");
        Assert.True(good.EverPass >= LowerBound(n, 0.9), $"passed {good.EverPass}/{n}");
        Assert.Equal(0, good.EverFail);
    }

    /// <summary>Experiments whose per-request costs are lognormal (σ = 1, a heavy right tail like real token counts);
    /// the canary's mean is <paramref name="canaryFactor"/> × the baseline's.</summary>
    private static int EverCostFail(int experiments, int looks, double canaryFactor, int seed)
    {
        var random = new Random(seed);
        var guardrail = new Guardrail(MetricNames.CostPerRequest, 0.05, Relative: true);
        var cost = LogNormal.WithMuSigma(Math.Log(0.004), 1.0, random);
        var fails = 0;
        for (var e = 0; e < experiments; e++)
        {
            var (baseline, canary) = (new ArmCostBuilder(), new ArmCostBuilder());
            var failed = false;
            for (var look = 0; look < looks; look++)
            {
                for (var i = 0; i < 300; i++)
                {
                    baseline.Add(new RequestCost(cost.Sample(), CostSources.Event, "m"), null, null, null);
                }
                for (var i = 0; i < 100; i++)
                {
                    canary.Add(new RequestCost(cost.Sample() * canaryFactor, CostSources.Event, "m"), null, null, null);
                }
                var check = Evaluator.Evaluate(Experiment(guardrail), Sample(look, baseline.Build(), canary.Build(), ValidationSample.Empty), null).Checks.Single();
                failed |= check.Outcome == Outcomes.Fail;
            }
            fails += failed ? 1 : 0;
        }
        return fails;
    }

    [Fact]
    public void An_AA_cost_comparison_reaches_no_go_at_most_alpha_of_the_time_over_20_looks_and_30_percent_dearer_is_caught()
    {
        const int n = 100;
        var aa = EverCostFail(n, looks: 20, canaryFactor: 1.0, seed: 21);
        Assert.True(aa <= UpperBound(n, Alpha), $"A/A cost no_go in {aa}/{n}; bound {UpperBound(n, Alpha)}");
        var atMargin = EverCostFail(n, looks: 20, canaryFactor: 1.05, seed: 22);
        Assert.True(atMargin <= UpperBound(n, Alpha), $"cost exactly at the 5 % margin: no_go in {atMargin}/{n}");
        var dearer = EverCostFail(40, looks: 20, canaryFactor: 1.3, seed: 23);
        output.WriteLine($"cost A/A no_go {aa}/{n}; at the margin {atMargin}/{n}; +30 % caught {dearer}/40");
        Assert.True(dearer >= LowerBound(40, 0.9), $"+30 % cost caught in {dearer}/40");
    }
}
