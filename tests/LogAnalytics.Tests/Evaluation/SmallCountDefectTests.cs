using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Verdicts;
using MathNet.Numerics.Distributions;
using LogAnalytics.Tests.Verdicts;
using Xunit.Abstractions;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>
/// Issue 10's defects, one test each (each failed before its fix): one failed canary request, at-margin rates at small
/// counts, Holm's family, ties / zero variance, and the latency_distribution shift on the log scale.
/// </summary>
public sealed class SmallCountDefectTests(ITestOutputHelper output)
{
    private const double Alpha = 0.05;
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CheckedEvaluator Evaluator = CheckedEvaluator.CreateDefault(planWhileWaiting: false, everyVerdict: false);

    private static ExperimentDefinition Experiment(int minSamples, params Guardrail[] guardrails) => ExperimentCatalog.Defaults("sim") with
    {
        MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        MinSamples = minSamples,
        UsesDefaults = false,
        Guardrails = guardrails.Length == 0 ? ExperimentCatalog.Defaults("sim").Guardrails : guardrails,
    };

    private static readonly Guardrail ErrorRate = new(MetricNames.ErrorRate, 0.005, Relative: false);

    private static ArmSample Arm(double[] latencies, long errors) =>
        new(["e"], latencies, new Dictionary<string, long> { ["server"] = errors });

    private static ExperimentSample Sample(ArmSample baseline, ArmSample canary, int look = 1, double weight = 5) => new()
    {
        Experiment = "sim",
        AsOf = Start.AddSeconds(30 * look),
        Stage = new StageInfo(weight, Start, StageSource.Event),
        Baseline = baseline,
        Canary = canary,
    };

    private static double[] Flat(int n, double ms) => Enumerable.Repeat(ms, n).ToArray();

    /// <summary>The 99 % binomial upper bound of the count of events of probability <paramref name="p"/> in n trials.</summary>
    internal static int UpperBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) >= 0.99);

    [Fact]
    public void Defect1_one_canary_request_that_failed_is_not_a_no_go()
    {
        // The first look of a 5 % stage: 400 baseline requests at a 2 % error rate, and one canary request, which failed.
        var baseline = Arm(Flat(400, 800), 8);
        var canary = Arm(Flat(1, 800), 1);
        var verdict = VerdictContract.AssertValid(Evaluator.Evaluate(Experiment(1, ErrorRate), Sample(baseline, canary), null));
        output.WriteLine(verdict.Checks.Single().Reason);
        Assert.NotEqual(Outcomes.Fail, verdict.Checks.Single().Outcome);
        Assert.NotEqual(Decisions.NoGo, verdict.Decision);
    }

    /// <summary>
    /// A canary exactly at its error-rate margin, evaluated after every batch (about 50 canary and 950 baseline requests),
    /// MinSamples 200, no dwell: how many of <paramref name="experiments"/> ever reach go.
    /// </summary>
    private static int EverGoAtTheMargin(int experiments, double baseRate, int looks, int seed)
    {
        var random = new Random(seed);
        var definition = Experiment(200, ErrorRate);
        var goes = 0;
        for (var e = 0; e < experiments; e++)
        {
            long nb = 0, nc = 0, xb = 0, xc = 0;
            PreviousDecision? previous = null;
            for (var look = 1; look <= looks; look++)
            {
                for (var i = 0; i < 1000; i++)
                {
                    if (random.NextDouble() < 0.05)
                    {
                        nc++;
                        xc += random.NextDouble() < baseRate + 0.005 ? 1 : 0;
                    }
                    else
                    {
                        nb++;
                        xb += random.NextDouble() < baseRate ? 1 : 0;
                    }
                }
                var sample = Sample(Arm(Flat((int)nb, 800), xb), Arm(Flat((int)nc, 800), xc), look);
                var verdict = Evaluator.Evaluate(definition, sample, previous);
                if (verdict.Decision == Decisions.Go)
                {
                    goes++;
                    break;
                }
                previous = VerdictMemory.Next(previous, verdict);
            }
        }
        return goes;
    }

    [Theory]
    [InlineData(0.001, 101)]
    [InlineData(0.02, 102)]
    [InlineData(0.10, 103)]
    public void Defect2_an_error_rate_exactly_at_its_margin_reaches_go_at_most_alpha_of_the_time(double baseRate, int seed)
    {
        // 400 experiments: the 99 % bound at alpha is 31 (7.8 %); a method at 2 alpha (40 expected) exceeds it 9 times in 10.
        const int n = 400;
        var go = EverGoAtTheMargin(n, baseRate, looks: 40, seed);
        output.WriteLine($"base rate {baseRate:P1}, canary at +0.5 pp: go in {go}/{n} (bound {UpperBound(n, Alpha)})");
        Assert.True(go <= UpperBound(n, Alpha), $"at-margin go in {go}/{n}; bound {UpperBound(n, Alpha)}");
    }

    [Fact]
    public void Defect5_Holm_counts_a_configured_guardrail_that_cannot_be_computed_yet_with_p_1()
    {
        var guardrail = new Guardrail(MetricNames.ErrorRate, 0.005, false);
        var estimate = new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = 0.02,
            Canary = 0.04,
            Degradation = 0.02,
            Variance = 0.00003,
            Test = "two_proportion_z",
        };
        var alone = SequentialJudge.Judge([estimate], Alpha).Single().Check.SequentialPValue!.Value;
        var missing = new NotComputable(new Guardrail(MetricNames.LatencyP99, 0.1, true), "latency_p99: too few requests.");
        var withMissing = SequentialJudge.Judge([missing, estimate], Alpha)[1].Check.SequentialPValue!.Value;
        output.WriteLine($"alone {alone:G4}, with a guardrail not computable yet {withMissing:G4}");
        Assert.True(alone < 0.5);
        Assert.Equal(Math.Min(1, 2 * alone), withMissing, 12);
    }

    [Fact]
    public void Defect6_capped_timeouts_on_the_canary_fail_latency_p99_and_identical_buckets_pass()
    {
        var definition = Experiment(1, new Guardrail(MetricNames.LatencyP99, 0.10, true), new Guardrail(MetricNames.LatencyP50, 0.10, true));
        var slow = VerdictContract.AssertValid(Evaluator.Evaluate(definition, Sample(Arm(Flat(3000, 1000), 0), Arm(Flat(3000, 30000), 0), weight: 50), null));
        Assert.All(slow.Checks, c => Assert.Equal(Outcomes.Fail, c.Outcome));
        Assert.Equal(Decisions.NoGo, slow.Decision);
        var same = Evaluator.Evaluate(definition, Sample(Arm(Flat(3000, 1000), 0), Arm(Flat(3000, 1000), 0), weight: 50), null);
        Assert.All(same.Checks, c => Assert.Equal(Outcomes.Pass, c.Outcome));
    }

    [Fact]
    public void Defect6_flat_prices_twice_as_dear_fail_cost_per_request()
    {
        static ArmCost Flat(int n, double usd)
        {
            var builder = new ArmCostBuilder();
            for (var i = 0; i < n; i++)
            {
                builder.Add(new RequestCost(usd, CostSources.Event, "m"), null, null, null);
            }
            return builder.Build();
        }
        var definition = Experiment(1, new Guardrail(MetricNames.CostPerRequest, 0.05, true));
        var sample = Sample(Arm(SmallCountDefectTests.Flat(500, 800), 0) with { Cost = Flat(500, 0.004) },
            Arm(SmallCountDefectTests.Flat(500, 800), 0) with { Cost = Flat(500, 0.008) }, weight: 50);
        var verdict = Evaluator.Evaluate(definition, sample, null);
        output.WriteLine(verdict.Checks.Single().Reason);
        Assert.Equal(Outcomes.Fail, verdict.Checks.Single().Outcome);
        var equal = sample with { Canary = sample.Canary with { Cost = Flat(500, 0.004) } };
        Assert.Equal(Outcomes.Pass, Evaluator.Evaluate(definition, equal, null).Checks.Single().Outcome);
    }

    [Fact]
    public void Defect7_latency_distribution_reads_a_1_1x_slowdown_of_a_heavy_tailed_body_as_10_percent()
    {
        var body = LogNormal.WithMuSigma(Math.Log(800), 1.0);
        var baseline = Enumerable.Range(0, 3000).Select(i => body.InverseCumulativeDistribution((i + 0.5) / 3000)).ToArray();
        var canary = baseline.Select(x => 1.1 * x).ToArray();
        var guardrail = new Guardrail(MetricNames.LatencyDistribution, 0.10, true);
        var measured = new LatencyDistributionCheck().Measure(Sample(Arm(baseline, 0), Arm(canary, 0), weight: 50), guardrail);
        var shift = Math.Exp(measured.Estimate!.Degradation) - 1;
        output.WriteLine($"estimated shift {shift:P2}");
        Assert.InRange(shift, 0.099, 0.101);
    }
}
