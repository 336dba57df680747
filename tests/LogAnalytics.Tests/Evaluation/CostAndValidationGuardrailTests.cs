using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>cost_per_request and validation_match_rate through the real evaluator (pure samples, no I/O).</summary>
public sealed class CostAndValidationGuardrailTests
{
    private static readonly DateTimeOffset StageStart = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CheckedEvaluator Evaluator = CheckedEvaluator.CreateDefault();

    private static ExperimentDefinition Experiment(params Guardrail[] guardrails) => ExperimentCatalog.Defaults("exp") with
    {
        BaselineEndpoint = "legacy",
        CanaryEndpoint = "holy_sheep",
        MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        MinSamples = 100,
        UsesDefaults = false,
        Guardrails = guardrails.Length > 0 ? guardrails : ExperimentCatalog.Defaults("exp").Guardrails,
    };

    private static Guardrail Cost(double margin = 0.05) => new(MetricNames.CostPerRequest, margin, Relative: true);
    private static Guardrail Validation(double threshold = 0.98) => new(MetricNames.ValidationMatchRate, 0, Relative: false, HigherIsBetter: true, Threshold: threshold);

    /// <summary>An arm whose requests cost <paramref name="meanCost"/> on average (±20 % alternating), priced from the book.</summary>
    private static ArmSample Arm(int n, string endpoint, double meanCost, int unpriced = 0, string model = "gpt-4.1")
    {
        var cost = new ArmCostBuilder();
        for (var i = 0; i < n; i++)
        {
            cost.Add(new RequestCost(meanCost * (i % 2 == 0 ? 0.8 : 1.2), CostSources.PriceBook, model), 1000, 500, 1500);
        }
        for (var i = 0; i < unpriced; i++)
        {
            cost.Add(new RequestCost(null, CostSources.NoPrice, "mystery-model"), 1000, 500, 1500);
        }
        return new ArmSample([endpoint], Enumerable.Range(0, n + unpriced).Select(i => 100.0 + i % 50).ToArray(), new Dictionary<string, long>())
        {
            Cost = cost.Build(),
        };
    }

    private static ValidationSample Validations(int events, int matches, int withSimilarity = 0)
    {
        var builder = new ValidationSampleBuilder();
        for (var i = 0; i < events; i++)
        {
            var match = i < matches;
            builder.Add(match, true, match || i % 2 == 0, true, i < withSimilarity ? (match ? 0.97 : 0.40) : null);
        }
        return builder.Build();
    }

    private static ExperimentSample Sample(ArmSample baseline, ArmSample canary, ValidationSample? validation = null, TimeSpan? age = null) => new()
    {
        Experiment = "exp",
        AsOf = StageStart + (age ?? TimeSpan.FromDays(1)),
        Stage = new StageInfo(5, StageStart, StageSource.Event),
        Baseline = baseline,
        Canary = canary,
        Validation = validation ?? ValidationSample.Empty,
    };

    private static MetricCheck Single(Verdict verdict, string metric) => Assert.Single(verdict.Checks, c => c.Metric == metric);

    [Fact]
    public void A_canary_that_costs_30_percent_more_per_request_is_no_go_naming_cost()
    {
        var verdict = Evaluator.Evaluate(Experiment(Cost()), Sample(Arm(19_000, "legacy", 0.010), Arm(1_000, "holy_sheep", 0.013)), null);
        var check = Single(verdict, MetricNames.CostPerRequest);
        Assert.Equal(Outcomes.Fail, check.Outcome);
        Assert.Equal(0.3, check.RelativeChange!.Value, 1e-9);
        Assert.Equal("welch_t", check.Test);
        Assert.Equal(Decisions.NoGo, verdict.Decision);
        Assert.StartsWith("cost_per_request is worse on the canary beyond its 5 % margin: canary $0.013 vs baseline $0.01", verdict.Reasons[0]);
    }

    [Fact]
    public void A_cheaper_canary_passes_the_cost_guardrail_and_goes()
    {
        var verdict = Evaluator.Evaluate(Experiment(Cost()), Sample(Arm(19_000, "legacy", 0.010), Arm(1_000, "holy_sheep", 0.002)), null);
        Assert.Equal(Outcomes.Pass, Single(verdict, MetricNames.CostPerRequest).Outcome);
        Assert.Equal(Decisions.Go, verdict.Decision);
        Assert.Equal(10.0, verdict.Cost!.Baseline.CostPer1kRequestsUsd!.Value, 1e-9);
        Assert.Equal(2.0, verdict.Cost.Canary.CostPer1kRequestsUsd!.Value, 1e-9);
        // 20,000 requests in 1 day = 600,000 a month: $6,000 all on the baseline, $1,200 all on the canary.
        Assert.Equal(new MonthlyCost(600_000, 6000, 1200, 0.95 * 6000 + 0.05 * 1200), verdict.Cost.ProjectedMonthlyUsd);
    }

    [Fact]
    public void Unpriced_canary_requests_above_one_percent_hold_the_cost_guardrail_and_say_which_model()
    {
        var verdict = Evaluator.Evaluate(Experiment(Cost()), Sample(Arm(19_000, "legacy", 0.010), Arm(950, "holy_sheep", 0.002, unpriced: 50)), null);
        var check = Single(verdict, MetricNames.CostPerRequest);
        Assert.Equal(Outcomes.Inconclusive, check.Outcome);
        Assert.Contains("50 of 1,000 canary requests (5.0 %) are unpriced", check.Reason);
        Assert.Contains("\"mystery-model\"; add them to pricing.json", check.Reason);
        Assert.Equal(Decisions.Wait, verdict.Decision);
        Assert.Equal(50, verdict.Cost!.Canary.UnpricedRequests);
        Assert.Equal(["mystery-model"], verdict.Cost.Canary.ModelsWithoutPrice);
    }

    [Fact]
    public void A_match_rate_clearly_below_the_threshold_is_no_go_with_the_wilson_bound_reported()
    {
        var verdict = Evaluator.Evaluate(Experiment(Validation()), Sample(Arm(19_000, "legacy", 0.01), Arm(1_000, "holy_sheep", 0.01), Validations(1000, 912, withSimilarity: 1000)), null);
        var check = Single(verdict, MetricNames.ValidationMatchRate);
        Assert.Equal(Outcomes.Fail, check.Outcome);
        Assert.Equal(Decisions.NoGo, verdict.Decision);
        Assert.Equal(0.98, check.Threshold);
        Assert.Equal(0.912, check.Canary!.Value, 1e-12);
        Assert.Null(check.Baseline);
        // statsmodels proportion_confint(912, 1000, alpha=0.05, method="wilson") = (0.8928277489502235, 0.9280190020576792)
        Assert.Equal(0.8928277489502235, check.Details!["wilson_low"], 1e-12);
        Assert.Equal(0.9280190020576792, check.Details["wilson_high"], 1e-12);
        Assert.Equal(0.8928277489502235, verdict.Validation!.WilsonLow!.Value, 1e-12);
        Assert.StartsWith("validation_match_rate is below its 98.0 % threshold: 912 of 1,000 shadow comparisons matched (91.2 %)", verdict.Reasons[0]);
        // Similarity: 912 at 0.97 and 88 at 0.40; mean = (912 x 0.97 + 88 x 0.40) / 1000 = 0.91984; p5 (type 7) at rank 0.05 x 999 = 49.95 -> 0.40
        Assert.Equal(0.91984, verdict.Validation.Similarity!.Mean, 1e-12);
        Assert.Equal(0.40, verdict.Validation.Similarity.P5, 1e-12);
        // Per check: content_match 912/1000; tokens_match matched on the 912 plus the even ones among the other 88 (44).
        Assert.Equal(0.912, verdict.Validation.Checks[ValidationChecks.ContentMatch].Rate, 1e-12);
        Assert.Equal(0.956, verdict.Validation.Checks[ValidationChecks.TokensMatch].Rate, 1e-12);
    }

    [Fact]
    public void A_match_rate_well_above_the_threshold_passes()
    {
        var verdict = Evaluator.Evaluate(Experiment(Validation()), Sample(Arm(19_000, "legacy", 0.01), Arm(1_000, "holy_sheep", 0.01), Validations(2000, 1995)), null);
        var check = Single(verdict, MetricNames.ValidationMatchRate);
        Assert.Equal(Outcomes.Pass, check.Outcome);
        // statsmodels proportion_confint(1995, 2000, alpha=0.05, method="wilson")[0] = 0.9941608466835673
        Assert.Equal(0.9941608466835673, check.Details!["wilson_low"], 1e-12);
        Assert.Equal(Decisions.Go, verdict.Decision);
    }

    [Fact]
    public void A_perfect_but_small_sample_waits_until_the_rate_can_be_judged()
    {
        // 150 of 150: at the 98 % threshold that is 3 expected mismatches, too few for the normal approximation (5), and
        // statsmodels' Wilson lower bound 0.9750297556319235 < 0.98 would hold the pass back anyway: no go yet.
        var verdict = Evaluator.Evaluate(Experiment(Validation()), Sample(Arm(19_000, "legacy", 0.01), Arm(1_000, "holy_sheep", 0.01), Validations(150, 150)), null);
        var check = Single(verdict, MetricNames.ValidationMatchRate);
        Assert.Equal(Outcomes.Inconclusive, check.Outcome);
        Assert.Equal(Decisions.Wait, verdict.Decision);
        Assert.Contains("too few shadow-validation events to judge yet (150; at the 98.0 % threshold that is 3 expected mismatches", check.Reason);
        Assert.Equal(0.9750297556319235, LogAnalytics.Statistics.WilsonInterval.Compute(150, 150, 0.05).Interval.Lower, 1e-12);
    }

    [Fact]
    public void Default_guardrails_without_cost_or_validation_data_are_left_out_and_the_verdict_says_so()
    {
        var noCost = new ArmSample(["legacy"], Enumerable.Range(0, 19_000).Select(i => 100.0 + i % 50).ToArray(), new Dictionary<string, long>());
        var noCostCanary = new ArmSample(["holy_sheep"], Enumerable.Range(0, 1_000).Select(i => 100.0 + i % 50).ToArray(), new Dictionary<string, long>());
        var verdict = Evaluator.Evaluate(Experiment(), Sample(noCost, noCostCanary), null);
        Assert.DoesNotContain(verdict.Checks, c => c.Metric is MetricNames.CostPerRequest or MetricNames.ValidationMatchRate);
        Assert.Contains(verdict.Reasons, r => r.Contains("The cost_per_request guardrail is left out", StringComparison.Ordinal));
        Assert.Contains(verdict.Reasons, r => r.Contains("The validation_match_rate guardrail is left out", StringComparison.Ordinal));
        Assert.Null(verdict.Cost);
        Assert.Null(verdict.Validation);
    }

    [Fact]
    public void A_configured_validation_guardrail_without_events_waits_instead_of_passing()
    {
        var verdict = Evaluator.Evaluate(Experiment(Validation(), Cost()), Sample(Arm(19_000, "legacy", 0.01), Arm(1_000, "holy_sheep", 0.005)), null);
        var check = Single(verdict, MetricNames.ValidationMatchRate);
        Assert.Equal(Outcomes.Inconclusive, check.Outcome);
        Assert.Contains("no shadow-validation events", check.Reason);
        Assert.Equal(Decisions.Wait, verdict.Decision);
    }

    [Fact]
    public void Configuration_sets_threshold_and_direction_and_refuses_a_threshold_on_other_metrics()
    {
        var options = new ExperimentsOptions
        {
            Items =
            [
                new ExperimentOptions
                {
                    Id = "exp",
                    Metrics = [new MetricOptions { Name = MetricNames.ValidationMatchRate, Threshold = 0.95 }, new MetricOptions { Name = MetricNames.CostPerRequest, Margin = 0.02 }],
                },
            ],
        };
        var definition = ExperimentCatalog.Resolve(options, "exp");
        Assert.Equal(new Guardrail(MetricNames.ValidationMatchRate, 0, false, HigherIsBetter: true, Threshold: 0.95), definition.Guardrails[0]);
        Assert.Equal(new Guardrail(MetricNames.CostPerRequest, 0.02, true), definition.Guardrails[1]);
        Assert.Empty(ExperimentCatalog.Validate(options, Evaluator.Metrics));

        options.Items[0].Metrics![1].Threshold = 0.5;
        options.Items[0].Metrics![0].Threshold = 1.5;
        var errors = ExperimentCatalog.Validate(options, Evaluator.Metrics);
        Assert.Contains("Experiments:Items:0:Metrics:0:Threshold must be a rate in (0, 1), e.g. 0.98", errors);
        Assert.Contains("Experiments:Items:0:Metrics:1:Threshold applies only to validation_match_rate; cost_per_request is judged by its Margin", errors);

        options.Items[0].Metrics![0] = new MetricOptions { Name = MetricNames.ValidationMatchRate, Margin = 0.02, Direction = "lower_is_better" };
        errors = ExperimentCatalog.Validate(options, Evaluator.Metrics);
        Assert.Contains("Experiments:Items:0:Metrics:0:Margin does not apply to validation_match_rate; set Threshold (the match rate the canary must exceed, e.g. 0.98)", errors);
        Assert.Contains("Experiments:Items:0:Metrics:0:Direction of validation_match_rate is higher_is_better (a higher match rate is better)", errors);
    }
}
