using System.Globalization;
using System.Text.Json;
using LogAnalytics.IntegrationTests.Infrastructure;
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
    private static IEnumerable<(string? Key, string Value)> Traffic(string experiment, int count, double canaryShare, double canaryLatencyFactor,
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
            // Wide margins so a healthy canary can pass at test volumes (3,000 canary requests).
            var metrics = new[] { ("latency_p50", "0.25"), ("latency_p95", "0.35"), ("latency_p99", "0.6"), ("latency_distribution", "0.25"), ("error_rate", "0.03") };
            for (var m = 0; m < metrics.Length; m++)
            {
                settings[$"{key}:Metrics:{m}:Name"] = metrics[m].Item1;
                settings[$"{key}:Metrics:{m}:Margin"] = metrics[m].Item2;
            }
        }

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
