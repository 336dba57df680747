using System.Globalization;
using System.Text.Json;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.Experiments;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Verdicts;

namespace LogAnalytics.IntegrationTests.Verdicts;

/// <summary>Router traffic through a real broker to verdicts on the verdict topic: a healthy canary reaches go, a degraded
/// one no_go, a broken split wait; the topic holds them keyed by experiment and the verdicts table has them.</summary>
[Collection("kafka")]
public sealed class VerdictEndToEndTests(KafkaFixture kafka) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-verdict-").FullName;

    /// <summary>Requests of one experiment: <paramref name="canaryShare"/> of them on holy_sheep, whose latency is
    /// multiplied by <paramref name="canaryLatencyFactor"/> and whose error rate is <paramref name="canaryErrorRate"/>.</summary>
    internal static IEnumerable<(string? Key, string Value)> Traffic(string experiment, int count, double canaryShare, double canaryLatencyFactor,
        double canaryErrorRate, DateTimeOffset start, int seed)
    {
        var random = new Random(seed);
        yield return (experiment, $$"""{"kind":"stage","experiment":"{{experiment}}","weight":25,"timestamp":"{{start.AddSeconds(-1):O}}"}""");
        for (var i = 0; i < count; i++)
        {
            var canary = random.NextDouble() < canaryShare;
            var latency = Math.Exp(Math.Log(800) + 0.5 * Normal(random)) * (canary ? canaryLatencyFactor : 1);
            var error = random.NextDouble() < (canary ? canaryErrorRate : 0.01);
            var ts = start.AddMilliseconds(i * 20);
            yield return ($"{experiment}-{i}", string.Create(CultureInfo.InvariantCulture,
                $$"""{"timestamp":"{{ts:O}}","experiment":"{{experiment}}","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{latency:F1}},"status_code":{{(error ? 503 : 200)}},"request_id":"{{experiment}}-{{i}}"}"""));
        }
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public async Task Healthy_canary_goes_degraded_one_is_no_go_and_a_broken_split_waits()
    {
        var topic = $"verdicts-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await kafka.ProduceAsync(topic, Traffic("healthy", 12_000, 0.25, 1.0, 0.01, start, seed: 1)
            .Concat(Traffic("degraded", 12_000, 0.25, 1.6, 0.06, start, seed: 2))
            .Concat(Traffic("broken-split", 12_000, 0.45, 1.0, 0.01, start, seed: 3)));

        var db = Path.Combine(_dir, "verdicts.duckdb");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        var ids = new[] { "healthy", "degraded", "broken-split" };
        WorkerHost.AddExperiments(settings, ids);

        var expected = new Dictionary<string, string> { ["healthy"] = Decisions.Go, ["degraded"] = Decisions.NoGo, ["broken-split"] = Decisions.Wait };
        Dictionary<string, Verdict> latest = new();
        await using (await WorkerHost.StartAsync(settings))
        {
            await Eventually.UntilAsync(() =>
            {
                latest = LatestByKey(kafka.ReadAllAsync($"{topic}-verdicts").GetAwaiter().GetResult());
                return expected.All(e => latest.TryGetValue(e.Key, out var v) && v.Decision == e.Value && v.Samples.Canary + v.Samples.Baseline >= 11_000);
            }, TimeSpan.FromSeconds(120), () => string.Join("; ", latest.Values.Select(v => $"{v.Experiment}: {v.Decision} ({v.Samples.Baseline}/{v.Samples.Canary}) {v.Reasons.FirstOrDefault()}")));
        }

        Assert.All(latest.Values, v => Assert.Equal(Verdict.SchemaId, v.Schema));
        Assert.Contains("latency", latest["degraded"].Reasons[0], StringComparison.Ordinal);
        Assert.Contains(latest["degraded"].Checks, c => c.Outcome == Outcomes.Fail);
        Assert.Contains("sample ratio mismatch", latest["broken-split"].Reasons[0], StringComparison.Ordinal);
        Assert.False(latest["broken-split"].Srm.Ok);
        Assert.All(latest["healthy"].Checks, c => Assert.Equal(Outcomes.Pass, c.Outcome));
        Assert.Equal(25, latest["healthy"].CurrentStage);
        Assert.Equal(50, latest["healthy"].NextStage);

        var stored = DatabaseProbe.Rows(db, "SELECT experiment, decision FROM verdicts", r => (r.GetString(0), r.GetString(1)));
        foreach (var (experiment, decision) in expected)
        {
            Assert.Contains((experiment, decision), stored);
        }
    }

    /// <summary>LLM traffic of one experiment priced by the test's price book: gpt-4.1 on both sides (1,000 input and
    /// ~500 output tokens), the canary's output multiplied by <paramref name="canaryOutputFactor"/>; a share
    /// <paramref name="canaryAuthErrors"/> of canary requests fail with 401; half of the canary's successes are
    /// shadow-validated and <paramref name="matchRate"/> of those match.</summary>
    private static IEnumerable<(string? Key, string Value)> LlmTraffic(string experiment, int count, double canaryOutputFactor, double matchRate,
        double canaryAuthErrors, DateTimeOffset start, int seed)
    {
        var random = new Random(seed);
        yield return (experiment, $$"""{"kind":"stage","experiment":"{{experiment}}","weight":25,"timestamp":"{{start.AddSeconds(-1):O}}"}""");
        for (var i = 0; i < count; i++)
        {
            var canary = random.NextDouble() < 0.25;
            var ts = start.AddMilliseconds(i * 20);
            var id = $"{experiment}-{i}";
            var status = canary && random.NextDouble() < canaryAuthErrors ? 401 : 200;
            var output = (long)Math.Round(500 * Math.Exp(0.5 * Normal(random)) * (canary ? canaryOutputFactor : 1));
            var usage = status == 200 ? $$""","prompt_tokens":1000,"completion_tokens":{{output}}""" : "";
            var endpoint = canary ? "holy_sheep" : "legacy";
            var model = canary ? "openai/gpt-4.1" : "GPT-4.1-2025-04-14";
            yield return (id, string.Create(CultureInfo.InvariantCulture,
                $$"""{"timestamp":"{{ts:O}}","experiment":"{{experiment}}","endpoint":"{{endpoint}}","model":"{{model}}","latency_ms":{{600 + random.Next(400)}},"status_code":{{status}},"request_id":"{{id}}"{{usage}}}"""));
            if (canary && status == 200 && random.NextDouble() < 0.5)
            {
                var matched = random.NextDouble() < matchRate ? "true" : "false";
                var similarity = matched == "true" ? 0.95 : 0.5;
                yield return (id, string.Create(CultureInfo.InvariantCulture,
                    $$"""{"kind":"validation","timestamp":"{{ts:O}}","experiment":"{{experiment}}","request_id":"{{id}}","endpoint":"holy_sheep","content_match":{{matched}},"finish_reason_match":true,"tokens_match":{{matched}},"model_field_match":true,"similarity":{{similarity}}}"""));
            }
        }
    }

    [Fact]
    public async Task Cost_and_correctness_guardrails_decide_through_the_broker()
    {
        var topic = $"guardrails-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        // The canary relay bills CNY at 7.3 per USD, 20 % below list once converted: 11.68 / 46.72 CNY per million = $1.60 / $6.40.
        var pricing = Path.Combine(_dir, "pricing.json");
        File.WriteAllText(pricing, """
        {
          "ExchangeRates": { "CNY": 7.3 },
          "Endpoints": {
            "*": { "Prices": { "gpt-4.1": { "InputPerMillion": 2.00, "OutputPerMillion": 8.00 } } },
            "holy_sheep": { "Currency": "CNY", "Prices": { "gpt-4.1": { "InputPerMillion": 11.68, "OutputPerMillion": 46.72 } } }
          }
        }
        """);
        await kafka.ProduceAsync(topic, LlmTraffic("cheaper", 12_000, 1.0, 0.998, 0, start, seed: 11)
            .Concat(LlmTraffic("cheaper-on-paper", 12_000, 2.0, 0.998, 0, start, seed: 12))
            .Concat(LlmTraffic("wrong-answers", 12_000, 1.0, 0.90, 0, start, seed: 13))
            .Concat(LlmTraffic("wrong-api-key", 12_000, 1.0, 0.998, 0.3, start, seed: 14)));

        var db = Path.Combine(_dir, "guardrails.duckdb");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        settings["Pricing:Path"] = pricing;
        var ids = new[] { "cheaper", "cheaper-on-paper", "wrong-answers", "wrong-api-key" };
        for (var i = 0; i < ids.Length; i++)
        {
            var key = $"Experiments:Items:{i}";
            settings[$"{key}:Id"] = ids[i];
            settings[$"{key}:BaselineEndpoint"] = "legacy";
            settings[$"{key}:CanaryEndpoint"] = "holy_sheep";
            for (var s = 0; s < 4; s++)
            {
                settings[$"{key}:MinDwell:{s}"] = "0s";
            }
            settings[$"{key}:MinSamples"] = "500";
            settings[$"{key}:Metrics:0:Name"] = "error_rate";
            settings[$"{key}:Metrics:0:Margin"] = "0.03";
            settings[$"{key}:Metrics:1:Name"] = "cost_per_request";
            settings[$"{key}:Metrics:1:Margin"] = "0.05";
            settings[$"{key}:Metrics:2:Name"] = "validation_match_rate";
            settings[$"{key}:Metrics:2:Threshold"] = "0.98";
        }

        var expected = new Dictionary<string, string>
        {
            ["cheaper"] = Decisions.Go, ["cheaper-on-paper"] = Decisions.NoGo, ["wrong-answers"] = Decisions.NoGo, ["wrong-api-key"] = Decisions.NoGo,
        };
        Dictionary<string, Verdict> latest = new();
        await using (await WorkerHost.StartAsync(settings))
        {
            await Eventually.UntilAsync(() =>
            {
                latest = LatestByKey(kafka.ReadAllAsync($"{topic}-verdicts").GetAwaiter().GetResult());
                return expected.All(e => latest.TryGetValue(e.Key, out var v) && v.Decision == e.Value && v.Samples.Canary + v.Samples.Baseline >= 11_000);
            }, TimeSpan.FromSeconds(120), () => string.Join("; ", latest.Values.Select(v => $"{v.Experiment}: {v.Decision} ({v.Samples.Baseline}/{v.Samples.Canary}) {v.Reasons.FirstOrDefault()}")));
        }

        var cheaper = latest["cheaper"];
        Assert.All(cheaper.Checks, c => Assert.Equal(Outcomes.Pass, c.Outcome));
        Assert.Equal([MetricNames.ErrorRate, MetricNames.CostPerRequest, MetricNames.ValidationMatchRate], cheaper.Checks.Select(c => c.Metric));
        var cost = cheaper.Checks.Single(c => c.Metric == MetricNames.CostPerRequest);
        Assert.InRange(cost.RelativeChange!.Value, -0.23, -0.17); // 20 % cheaper per token, same tokens
        Assert.Equal(0, cheaper.Cost!.Canary.UnpricedRequests);
        Assert.True(cheaper.Cost.ProjectedMonthlyUsd!.AllOnCanary < cheaper.Cost.ProjectedMonthlyUsd.AllOnBaseline);
        Assert.InRange(cheaper.Validation!.MatchRate!.Value, 0.99, 1.0);
        Assert.True(cheaper.Validation.WilsonLow > 0.98);

        // The first reason names the failed guardrail (after "no_go since ..." once the no_go is latched).
        Assert.Contains("cost_per_request is worse on the canary beyond its 5 % margin", latest["cheaper-on-paper"].Reasons[0], StringComparison.Ordinal);
        Assert.Equal(Outcomes.Fail, latest["cheaper-on-paper"].Checks.Single(c => c.Metric == MetricNames.CostPerRequest).Outcome);
        Assert.Contains("validation_match_rate is below its 98.0 % threshold", latest["wrong-answers"].Reasons[0], StringComparison.Ordinal);
        Assert.Equal(Outcomes.Fail, latest["wrong-answers"].Checks.Single(c => c.Metric == MetricNames.ValidationMatchRate).Outcome);
        Assert.InRange(latest["wrong-answers"].Validation!.MatchRate!.Value, 0.87, 0.93);
        Assert.Contains("check the canary's API key", latest["wrong-api-key"].Reasons[0], StringComparison.Ordinal);
        Assert.True(latest["wrong-api-key"].Errors!.Canary["auth"].Rate > 0.25);

        // Analysts price requests the same way: the worker copied the price book into DuckDB.
        var sources = DatabaseProbe.Rows(db, "SELECT DISTINCT cost_source FROM requests_costed WHERE experiment_id = 'cheaper'", r => r.GetString(0));
        Assert.Equal(["price_book"], sources);
        var canaryPrice = DatabaseProbe.Rows(db, "SELECT output_usd_per_million FROM prices WHERE endpoint = 'holy_sheep'", r => r.GetDouble(0));
        Assert.Equal(6.40, Assert.Single(canaryPrice), 1e-9);
    }

    private static Dictionary<string, Verdict> LatestByKey(IReadOnlyList<KafkaRecord> records)
    {
        var latest = new Dictionary<string, Verdict>();
        foreach (var r in records.OrderBy(r => r.Partition).ThenBy(r => r.Offset))
        {
            var verdict = Verdict.FromJson(r.Value!)!;
            Assert.Equal(r.Key, verdict.Experiment); // keyed by experiment id
            latest[r.Key!] = verdict;
        }
        return latest;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
