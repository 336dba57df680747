using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>ttft_p50, ttft_p95 and latency_per_output_token: judged when events carry ttft_ms / completion tokens, left
/// out with a reason when defaulted and absent, waited for when listed and absent.</summary>
public sealed class LlmLatencyGuardrailTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly CheckedEvaluator Evaluator = CheckedEvaluator.CreateDefault();
    private static readonly ModelProfile Streaming = new("gpt-4.1", 300, 0.0, Sigma: 0.3, TtftMedianMs: 180, OutputTokens: 250, MsPerToken: 12);

    private static ExperimentDefinition Experiment(IReadOnlyList<Guardrail>? guardrails = null) => ExperimentCatalog.Defaults("llm") with
    {
        MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
        MinSamples = 100,
        UsesDefaults = false,
        Guardrails = guardrails ?? ExperimentCatalog.Defaults("llm").Guardrails,
    };

    private static IReadOnlyList<Guardrail> Listed(params string[] metrics) =>
        metrics.Select(m => new Guardrail(m, 0.10, true)).ToList();

    private static ExperimentSample Sample(ModelProfile baseline, ModelProfile canary, int seed = 1, int canaryRequests = 5_000)
    {
        var random = new Random(seed);
        var b = new ModelTraffic(random, "legacy", (baseline, 1.0));
        var c = new ModelTraffic(random, "holy_sheep", (canary, 1.0));
        b.Add(canaryRequests * 19);
        c.Add(canaryRequests);
        return new ExperimentSample
        {
            Experiment = "llm",
            AsOf = Start.AddHours(3),
            Stage = new StageInfo(5, Start, StageSource.Event),
            Baseline = b.Build(),
            Canary = c.Build(),
        };
    }

    [Fact]
    public void Defaulted_guardrails_without_the_fields_are_left_out_with_a_reason()
    {
        var plain = Streaming with { TtftMedianMs = null, OutputTokens = null };

        var verdict = Evaluator.Evaluate(Experiment(), Sample(plain, plain), null);

        Assert.DoesNotContain(verdict.Checks, c => c.Metric is MetricNames.TtftP50 or MetricNames.TtftP95 or MetricNames.LatencyPerOutputToken);
        Assert.Contains(verdict.Reasons, r => r.StartsWith("ttft_p50: no request reports ttft_ms", StringComparison.Ordinal) && r.Contains("left out"));
        Assert.Contains(verdict.Reasons, r => r.StartsWith("latency_per_output_token: no request reports completion_tokens", StringComparison.Ordinal));
    }

    [Fact]
    public void Listed_guardrails_without_the_fields_hold_the_verdict_at_wait()
    {
        var plain = Streaming with { TtftMedianMs = null, OutputTokens = null };

        var verdict = Evaluator.Evaluate(Experiment(Listed(MetricNames.LatencyP50, MetricNames.TtftP95, MetricNames.LatencyPerOutputToken)), Sample(plain, plain), null);

        Assert.Equal(Decisions.Wait, verdict.Decision);
        var ttft = verdict.Checks.Single(c => c.Metric == MetricNames.TtftP95);
        Assert.Equal(Outcomes.Inconclusive, ttft.Outcome);
        Assert.Contains("no request reports ttft_ms", ttft.Reason);
        Assert.Equal(Outcomes.Inconclusive, verdict.Checks.Single(c => c.Metric == MetricNames.LatencyPerOutputToken).Outcome);
        Assert.Equal(Outcomes.Pass, verdict.Checks.Single(c => c.Metric == MetricNames.LatencyP50).Outcome);
    }

    [Fact]
    public void A_canary_whose_router_does_not_log_ttft_waits_and_is_told_which_side()
    {
        var verdict = Evaluator.Evaluate(Experiment(Listed(MetricNames.TtftP50)), Sample(Streaming, Streaming with { TtftMedianMs = null }), null);

        var ttft = verdict.Checks.Single();
        Assert.Equal(Outcomes.Inconclusive, ttft.Outcome);
        Assert.Contains("none of the canary's requests report ttft_ms", ttft.Reason);
    }

    [Fact]
    public void A_slower_first_token_fails_ttft_and_an_equal_one_passes()
    {
        var slow = Evaluator.Evaluate(Experiment(Listed(MetricNames.TtftP50, MetricNames.TtftP95)), Sample(Streaming, Streaming with { TtftMedianMs = 270 }), null);
        Assert.Equal(Decisions.NoGo, slow.Decision);
        Assert.All(slow.Checks, c => Assert.Equal(Outcomes.Fail, c.Outcome));
        Assert.Equal(180, slow.Checks[0].Baseline!.Value, 180 * 0.05);

        var same = Evaluator.Evaluate(Experiment(Listed(MetricNames.TtftP50, MetricNames.TtftP95)), Sample(Streaming, Streaming, seed: 2, canaryRequests: 20_000), null);
        Assert.Equal(Decisions.Go, same.Decision);
    }

    [Fact]
    public void Longer_answers_at_the_same_speed_fail_end_to_end_latency_but_pass_latency_per_output_token()
    {
        // The canary writes twice as many tokens at the same 12 ms per token (and the same fixed overhead).
        var verbose = Streaming with { OutputTokens = 500 };

        var verdict = Evaluator.Evaluate(Experiment(Listed(MetricNames.LatencyP50, MetricNames.LatencyPerOutputToken)), Sample(Streaming, verbose), null);

        Assert.Equal(Outcomes.Fail, verdict.Checks.Single(c => c.Metric == MetricNames.LatencyP50).Outcome);
        var perToken = verdict.Checks.Single(c => c.Metric == MetricNames.LatencyPerOutputToken);
        Assert.NotEqual(Outcomes.Fail, perToken.Outcome);
        Assert.True(perToken.Canary < perToken.Baseline, "more tokens spread the fixed overhead thinner: fewer ms per token");

        // Slower decoding (18 ms per token at the same length) fails it.
        var slowDecode = Evaluator.Evaluate(Experiment(Listed(MetricNames.LatencyPerOutputToken)), Sample(Streaming, Streaming with { MsPerToken = 18 }), null);
        Assert.Equal(Outcomes.Fail, slowDecode.Checks.Single().Outcome);
    }

    [Fact]
    public void The_new_metric_names_are_accepted_in_configuration()
    {
        var options = new ExperimentsOptions
        {
            Items = [new ExperimentOptions { Id = "x", Metrics = [new MetricOptions { Name = "ttft_p50" }, new MetricOptions { Name = "ttft_p95", Margin = 0.2 }, new MetricOptions { Name = "latency_per_output_token" }] }],
        };
        Assert.Empty(ExperimentCatalog.Validate(options, Evaluator.Metrics));
        var definition = ExperimentCatalog.Resolve(options, "x");
        Assert.Equal(["ttft_p50", "ttft_p95", "latency_per_output_token"], definition.Guardrails.Select(g => g.Metric).ToArray());
        Assert.Equal(0.2, definition.Guardrails[1].Margin);
        Assert.All(definition.Guardrails, g => Assert.False(g.Optional)); // listed: required
    }
}
