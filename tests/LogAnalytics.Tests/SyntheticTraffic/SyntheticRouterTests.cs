using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using Xunit;

namespace LogAnalytics.Tests.SyntheticTraffic;

public sealed class SyntheticRouterTests
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);

    // The decoder rejects timestamps more than a day ahead of its clock; pin the clock to the generated window.
    private static readonly EventDecoder Decoder = new(new FixedClock(Start.AddHours(1)));

    private static List<SyntheticMessage> Generate(TrafficScenario scenario, int count, int seed = 7, double malformed = 0) =>
        new SyntheticRouter(new SyntheticRouterOptions { Scenario = scenario, Seed = seed, Start = Start, MalformedFraction = malformed })
            .Take(count).ToList();

    private static List<RequestEvent> Requests(IEnumerable<SyntheticMessage> messages) =>
        messages.Select(m => Decoder.Decode(m.Value)).Where(r => r.IsAccepted).Select(r => r.Event).OfType<RequestEvent>().ToList();

    [Theory]
    [InlineData("healthy")]
    [InlineData("latency-regression")]
    [InlineData("error-spike")]
    [InlineData("srm")]
    [InlineData("cost-regression")]
    [InlineData("wrong-answers")]
    public void Every_generated_message_decodes_without_rejection(string preset)
    {
        Assert.True(TrafficScenario.TryGetPreset(preset, out var scenario));
        var messages = Generate(scenario, 20_000);

        var rejected = messages.Select(m => (m, r: Decoder.Decode(m.Value))).Where(x => !x.r.IsAccepted).ToList();

        Assert.True(rejected.Count == 0, rejected.Count == 0 ? "" : $"{rejected.Count} rejected, first: {rejected[0].r.Rejection}");
        Assert.All(messages, m => Assert.DoesNotContain((byte)'\n', m.Value));
    }

    [Fact]
    public void The_first_message_announces_the_stage_weight()
    {
        var first = Generate(TrafficScenario.SampleRatioMismatch, 1)[0];

        var stage = Assert.IsType<StageEvent>(Decoder.Decode(first.Value).Event);
        Assert.Equal(SyntheticMessageKind.Stage, first.Kind);
        Assert.Equal(5, stage.WeightPercent);
        Assert.Equal(Start, stage.Timestamp);
        Assert.Equal(TrafficScenario.DefaultExperiment, stage.Experiment);
    }

    [Fact]
    public void Requests_carry_the_whole_contract_and_keep_unknown_fields_as_attributes()
    {
        var requests = Requests(Generate(TrafficScenario.Healthy, 5_000));

        Assert.All(requests, r =>
        {
            Assert.NotNull(r.RequestId);
            Assert.Equal(SyntheticRouter.HashBucket(r.RequestId!), r.HashBucket);
            Assert.NotNull(r.Model);
            Assert.NotNull(r.PromptTokens);
            Assert.Equal(r.PromptTokens + r.CompletionTokens, r.TotalTokens);
            Assert.NotNull(r.CostUsd);
            Assert.NotNull(r.Stream);
            Assert.NotNull(r.RetryCount);
            Assert.Contains("\"region\"", r.Attributes, StringComparison.Ordinal);
            Assert.Equal(r.HashBucket < 5 ? "holy_sheep" : "legacy", r.Endpoint);
            Assert.Equal(r.HashBucket < 5 ? Variants.Canary : Variants.Baseline, r.Variant);
        });
        Assert.Contains(requests, r => r.StatusCode == 0 && r.ErrorType == "transport" && r.Error is not null);
        Assert.Contains(requests, r => r.StatusCode == 504 && r.ErrorType == "timeout");
        Assert.Contains(requests, r => r.StatusCode == 429 && r.ErrorType == "rate_limit");
        Assert.Contains(requests, r => r.StatusCode >= 500 && r.ErrorType == "server_error");
        Assert.True(requests.Zip(requests.Skip(1)).All(p => p.First.Timestamp < p.Second.Timestamp), "timestamps increase");
    }

    [Theory]
    [InlineData("healthy", 5.0)]
    [InlineData("srm", 9.0)]
    public void The_canary_share_is_near_the_weight_the_router_applies(string preset, double expectedPercent)
    {
        Assert.True(TrafficScenario.TryGetPreset(preset, out var scenario));
        var requests = Requests(Generate(scenario, 50_000));

        var share = 100.0 * requests.Count(r => r.Variant == Variants.Canary) / requests.Count;

        // Binomial standard error at n = 50,000 is about 0.1 percentage point; 0.6 is six of them.
        Assert.InRange(share, expectedPercent - 0.6, expectedPercent + 0.6);
    }

    [Fact]
    public void Healthy_error_rates_match_the_profiles()
    {
        var requests = Requests(Generate(TrafficScenario.Healthy, 100_000));
        var baseline = requests.Where(r => r.Variant == Variants.Baseline).ToList();

        var errorRate = (double)baseline.Count(r => r.StatusCode is 0 or >= 400) / baseline.Count;

        Assert.InRange(errorRate, 0.017 - 0.004, 0.017 + 0.004);
    }

    [Fact]
    public void Latency_regression_really_has_a_slower_canary_tail()
    {
        var requests = Requests(Generate(TrafficScenario.LatencyRegression, 100_000));

        var canaryP99 = P99(requests.Where(r => r.Variant == Variants.Canary));
        var baselineP99 = P99(requests.Where(r => r.Variant == Variants.Baseline));

        Assert.True(canaryP99 >= 1.3 * baselineP99, $"canary p99 {canaryP99:F0} ms vs baseline p99 {baselineP99:F0} ms");
    }

    [Fact]
    public void Healthy_canary_is_not_slower_than_the_baseline()
    {
        var requests = Requests(Generate(TrafficScenario.Healthy, 100_000));

        Assert.True(P99(requests.Where(r => r.Variant == Variants.Canary)) < P99(requests.Where(r => r.Variant == Variants.Baseline)));
    }

    [Fact]
    public void Error_spike_triples_the_canary_error_rate_at_least()
    {
        var requests = Requests(Generate(TrafficScenario.ErrorSpike, 100_000));

        double Rate(string variant)
        {
            var side = requests.Where(r => r.Variant == variant).ToList();
            return (double)side.Count(r => r.StatusCode is 0 or >= 429) / side.Count;
        }

        Assert.True(Rate(Variants.Canary) >= 3 * Rate(Variants.Baseline), $"canary {Rate(Variants.Canary):P2} vs baseline {Rate(Variants.Baseline):P2}");
    }

    [Fact]
    public void Wrong_answers_shadow_validates_half_the_canarys_successes_and_8_percent_differ()
    {
        var messages = Generate(TrafficScenario.WrongAnswers, 100_000);
        var validations = messages.Where(m => m.Kind == SyntheticMessageKind.Validation)
            .Select(m => Decoder.Decode(m.Value).Event).OfType<ValidationEvent>().ToList();
        var canarySuccesses = Requests(messages).Count(r => r.Variant == Variants.Canary && r.StatusCode == 200);

        // Binomial 99.9 % bounds: validations ~ Bin(successes, 0.5); mismatches ~ Bin(validations, 0.08).
        Assert.InRange(validations.Count, canarySuccesses * 0.5 - 3.3 * Math.Sqrt(canarySuccesses * 0.25), canarySuccesses * 0.5 + 3.3 * Math.Sqrt(canarySuccesses * 0.25));
        var mismatch = (double)validations.Count(v => v.ContentMatch == false) / validations.Count;
        Assert.InRange(mismatch, 0.08 - 3.3 * Math.Sqrt(0.08 * 0.92 / validations.Count), 0.08 + 3.3 * Math.Sqrt(0.08 * 0.92 / validations.Count));
        Assert.All(validations, v => Assert.Equal("holy_sheep", v.Endpoint));
        Assert.All(validations.Where(v => v.ContentMatch == false), v => Assert.InRange(v.Similarity!.Value, 0.2, 0.7));
    }

    [Fact]
    public void Cost_regression_is_cheaper_per_token_but_costs_more_per_request()
    {
        var requests = Requests(Generate(TrafficScenario.CostRegression, 100_000)).Where(r => r.StatusCode == 200).ToList();
        var canary = requests.Where(r => r.Variant == Variants.Canary).ToList();
        var baseline = requests.Where(r => r.Variant == Variants.Baseline).ToList();

        // Output tokens 2.5x (medians per model are equal otherwise); the mean cost per request rises by more than half.
        Assert.InRange(canary.Average(r => r.CompletionTokens!.Value) / baseline.Average(r => r.CompletionTokens!.Value), 2.3, 2.7);
        Assert.True(canary.Average(r => r.CostUsd!.Value) > 1.5 * baseline.Average(r => r.CostUsd!.Value));
    }

    [Fact]
    public void The_same_seed_and_start_give_identical_bytes_and_another_seed_does_not()
    {
        var a = Generate(TrafficScenario.ErrorSpike, 2_000, seed: 11, malformed: 0.05);
        var b = Generate(TrafficScenario.ErrorSpike, 2_000, seed: 11, malformed: 0.05);
        var c = Generate(TrafficScenario.ErrorSpike, 2_000, seed: 12, malformed: 0.05);

        Assert.Equal(a.Select(m => Convert.ToBase64String(m.Value)), b.Select(m => Convert.ToBase64String(m.Value)));
        Assert.Equal(a.Select(m => m.Timestamp), b.Select(m => m.Timestamp));
        Assert.NotEqual(a.Select(m => Convert.ToBase64String(m.Value)), c.Select(m => Convert.ToBase64String(m.Value)));
    }

    [Fact]
    public void Timestamps_follow_the_start_and_the_rate()
    {
        var messages = new SyntheticRouter(new SyntheticRouterOptions { Start = Start, EventsPerSecond = 100 }).Take(201).ToList();

        Assert.Equal(Start, messages[0].Timestamp);
        Assert.Equal(Start.AddSeconds(2), messages[200].Timestamp);
    }

    [Fact]
    public void Injected_malformed_messages_are_rejected_at_the_asked_fraction()
    {
        var messages = Generate(TrafficScenario.Healthy, 40_000, malformed: 0.05);

        var decoded = messages.Select(m => (m.Kind, Result: Decoder.Decode(m.Value))).ToList();
        var rejectedShare = (double)decoded.Count(d => !d.Result.IsAccepted) / decoded.Count;

        Assert.All(decoded, d => Assert.Equal(d.Kind == SyntheticMessageKind.Malformed, !d.Result.IsAccepted));
        // Standard error at n = 40,000 is about 0.11 percentage point.
        Assert.InRange(rejectedShare, 0.05 - 0.007, 0.05 + 0.007);
        var reasons = decoded.Where(d => !d.Result.IsAccepted).Select(d => d.Result.Rejection!.Reason).ToHashSet();
        Assert.Superset(new HashSet<string> { RejectionReasons.NotJson, RejectionReasons.NotObject, RejectionReasons.MissingField, RejectionReasons.OutOfRange }, reasons);
    }

    [Fact]
    public void Fault_injection_leaves_the_valid_requests_unchanged()
    {
        var clean = Generate(TrafficScenario.Healthy, 5_000);
        var faulty = Generate(TrafficScenario.Healthy, 5_000, malformed: 0.1);

        var unchanged = clean.Zip(faulty).Where(p => p.Second.Kind != SyntheticMessageKind.Malformed).ToList();

        Assert.All(unchanged, p => Assert.Equal(p.First.Value, p.Second.Value));
    }

    [Fact]
    public void Invalid_settings_are_refused_with_the_property_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticRouter(new SyntheticRouterOptions
        {
            Start = Start,
            Scenario = TrafficScenario.Healthy with { Canary = TrafficScenario.HolySheepProfile with { ServerErrorRate = 1.5 } },
        }));
        Assert.Contains("ServerErrorRate", ex.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticRouter(new SyntheticRouterOptions { Start = Start, MalformedFraction = -0.1 }));
    }

    private static double P99(IEnumerable<RequestEvent> requests)
    {
        var sorted = requests.Where(r => r.StatusCode == 200).Select(r => r.LatencyMs).Order().ToArray();
        return sorted[(int)Math.Ceiling(0.99 * sorted.Length) - 1];
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
