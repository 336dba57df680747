using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;
using MathNet.Numerics.Distributions;
using Xunit.Abstractions;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>Per-model stratification: latency and error guardrails compared within model and combined, so a canary
/// whose model mix differs from the baseline's is judged on what each model does, not on the mix.</summary>
public sealed class ModelStratificationTests(ITestOutputHelper output)
{
    private const double Alpha = 0.05;
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ModelProfile Fast = new("gpt-4o-mini", 200, 0.01);
    private static readonly ModelProfile Slow = new("gpt-4.1", 2000, 0.05);

    private static int UpperBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) >= 0.99);

    private static ExperimentDefinition Experiment(params string[] metrics) => ExperimentCatalog.Defaults("mix") with
    {
        MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        MinSamples = 1,
        UsesDefaults = false,
        Guardrails = ExperimentCatalog.Defaults("mix").Guardrails.Where(g => metrics.Contains(g.Metric)).ToList(),
    };

    private static ExperimentSample Sample(int look, ArmSample baseline, ArmSample canary) => new()
    {
        Experiment = "mix",
        AsOf = Start.AddHours(look + 1),
        Stage = new StageInfo(5, Start, StageSource.Event),
        Baseline = baseline,
        Canary = canary,
    };

    /// <summary>Experiments that ever reached no_go over the looks: within model (the default evaluator) and pooled
    /// (the same checks without stratification), on the same data.</summary>
    private static (int Stratified, int Pooled, Verdict Last) Run(int experiments, int looks, double canaryFactor, int seed)
    {
        var stratified = CheckedEvaluator.CreateDefault(planWhileWaiting: false, everyVerdict: false);
        var pooled = new CheckedEvaluator(new ExperimentEvaluator(GuardrailChecks.All()), everyVerdict: false);
        var experiment = Experiment(MetricNames.LatencyP50, MetricNames.LatencyP95, MetricNames.ErrorRate);
        var random = new Random(seed);
        var (s, p) = (0, 0);
        Verdict? last = null;
        for (var e = 0; e < experiments; e++)
        {
            // Baseline 80 % on the fast model; the canary 50 / 50 — same per-model behaviour unless canaryFactor ≠ 1.
            var baseline = new ModelTraffic(random, "legacy", (Fast, 0.8), (Slow, 0.2));
            var canary = new ModelTraffic(random, "holy_sheep",
                (Fast with { MedianMs = Fast.MedianMs * canaryFactor }, 0.5), (Slow with { MedianMs = Slow.MedianMs * canaryFactor }, 0.5));
            var (sNoGo, pNoGo) = (false, false);
            for (var look = 0; look < looks; look++)
            {
                baseline.Add(1900);
                canary.Add(100);
                var sample = Sample(look, baseline.Build(), canary.Build());
                last = stratified.Evaluate(experiment, sample, null);
                sNoGo |= last.Decision == Decisions.NoGo;
                pNoGo |= pooled.Evaluate(experiment, sample, null).Decision == Decisions.NoGo;
            }
            s += sNoGo ? 1 : 0;
            p += pNoGo ? 1 : 0;
        }
        return (s, p, last!);
    }

    [Fact]
    public void A_canary_serving_more_of_the_slow_model_is_not_failed_within_model_while_the_pooled_comparison_fails_it()
    {
        const int n = 80;
        var (stratified, pooled, last) = Run(n, looks: 8, canaryFactor: 1.0, seed: 7);
        output.WriteLine($"same per-model behaviour, canary mix 50/50 vs baseline 80/20, 8 looks x 100 canary requests: no_go within model {stratified}/{n}, pooled {pooled}/{n}");
        Assert.True(stratified <= UpperBound(n, Alpha), $"within model: false no_go in {stratified}/{n}; bound {UpperBound(n, Alpha)}");
        Assert.True(pooled >= n / 2, $"pooled comparison failed only {pooled}/{n}: the scenario does not show the bias");

        // The verdict says which models were compared and how many requests each side had.
        LogAnalytics.Tests.Verdicts.VerdictContract.AssertValid(last); // strata is part of the published contract
        var strata = last.Strata!;
        Assert.Equal("model", strata.By);
        Assert.Equal([Slow.Model, Fast.Model], strata.Models.Select(m => m.Model).Order(StringComparer.Ordinal).ToArray());
        Assert.Equal(last.Samples.Canary, strata.Models.Sum(m => m.Canary));
        Assert.Equal(last.Samples.Baseline, strata.Models.Sum(m => m.Baseline));
        Assert.All(last.Checks, c =>
        {
            Assert.Equal([Slow.Model, Fast.Model], strata.Checks[c.Metric].Compared.Order(StringComparer.Ordinal).ToArray());
            Assert.Null(strata.Checks[c.Metric].PooledBecause);
            Assert.Contains("Compared within model: ", c.Reason);
            Assert.EndsWith("_by_model", c.Test == "cochran_mantel_haenszel" ? "x_by_model" : c.Test);
        });
        Assert.Equal("cochran_mantel_haenszel", last.Checks.Single(c => c.Metric == MetricNames.ErrorRate).Test);
        var fast = strata.Models.Single(m => m.Model == Fast.Model);
        Assert.Contains($"{Fast.Model} ({fast.Baseline:N0} baseline / {fast.Canary:N0} canary)", last.Checks[0].Reason);
    }

    [Fact]
    public void A_canary_slower_within_every_model_is_caught_within_model()
    {
        const int n = 25;
        var (stratified, _, _) = Run(n, looks: 8, canaryFactor: 1.3, seed: 8);
        output.WriteLine($"both models 1.3x slower on the canary: no_go within model {stratified}/{n}");
        Assert.True(stratified >= 0.9 * n, $"caught only {stratified}/{n}");
    }

    [Fact]
    public void Models_only_one_side_serves_are_compared_pooled_and_the_verdict_says_why()
    {
        var random = new Random(3);
        var baseline = new ModelTraffic(random, "legacy", (Slow, 1.0));
        var canary = new ModelTraffic(random, "holy_sheep", (Fast with { Model = "gemini-2.5-flash" }, 1.0));
        baseline.Add(19_000);
        canary.Add(1_000);

        var verdict = CheckedEvaluator.CreateDefault().Evaluate(Experiment(MetricNames.LatencyP50, MetricNames.ErrorRate), Sample(0, baseline.Build(), canary.Build()), null);

        var strata = verdict.Strata!;
        Assert.Equal(2, strata.Models.Count);
        Assert.Equal(1_000, strata.Models.Single(m => m.Model == "gemini-2.5-flash").Canary);
        Assert.Equal(0, strata.Models.Single(m => m.Model == "gemini-2.5-flash").Baseline);
        Assert.Empty(strata.Checks[MetricNames.LatencyP50].Compared);
        Assert.Contains("the models both sides serve (none)", strata.Checks[MetricNames.LatencyP50].PooledBecause);
        Assert.Equal("quantile_log_ratio_z", verdict.Checks.Single(c => c.Metric == MetricNames.LatencyP50).Test);
        Assert.Equal("two_proportion_z", verdict.Checks.Single(c => c.Metric == MetricNames.ErrorRate).Test);
    }

    [Fact]
    public void A_percentile_too_thin_within_a_model_waits_rather_than_falling_back_to_the_biased_pooled_comparison()
    {
        var random = new Random(4);
        var baseline = new ModelTraffic(random, "legacy", (Fast, 0.8), (Slow, 0.2));
        var canary = new ModelTraffic(random, "holy_sheep", (Fast, 0.5), (Slow, 0.5));
        baseline.Add(57_000);
        canary.Add(3_000);
        // A third model, o3, carries 5-6 % of each side but only 200 canary requests: the shared models carry all the
        // traffic, yet a p99 (1,000 requests per side of each model) cannot be measured within o3.
        var canaryO3 = new ModelTraffic(random, "holy_sheep", (Slow with { Model = "o3" }, 1.0));
        canaryO3.Add(200);
        var baselineO3 = new ModelTraffic(random, "legacy", (Slow with { Model = "o3" }, 1.0));
        baselineO3.Add(3_000);
        var bMerged = Merge(baseline.Build(), baselineO3.Build());
        var cMerged = Merge(canary.Build(), canaryO3.Build());

        var verdict = CheckedEvaluator.CreateDefault().Evaluate(Experiment(MetricNames.LatencyP99, MetricNames.LatencyP50), Sample(0, bMerged, cMerged), null);

        var p99 = verdict.Checks.Single(x => x.Metric == MetricNames.LatencyP99);
        Assert.Equal(Outcomes.Inconclusive, p99.Outcome);
        Assert.Contains("compared within model, and too few requests of o3", p99.Reason);
        var p50 = verdict.Checks.Single(x => x.Metric == MetricNames.LatencyP50);
        Assert.Equal("quantile_log_ratio_z_by_model", p50.Test);
        Assert.Equal(3, verdict.Strata!.Checks[MetricNames.LatencyP50].Compared.Count);
    }

    /// <summary>Two sides' parts as one side (their models are disjoint).</summary>
    private static ArmSample Merge(ArmSample a, ArmSample b)
    {
        var latencies = a.LatenciesMs.Concat(b.LatenciesMs).Order().ToArray();
        var errors = a.ErrorsByClass.Concat(b.ErrorsByClass).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Sum(kv => kv.Value));
        return new ArmSample(a.Endpoints, latencies, errors)
        {
            ByModel = a.ByModel.Concat(b.ByModel).ToDictionary(kv => kv.Key, kv => kv.Value),
        };
    }
}
