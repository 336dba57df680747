using System.Globalization;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Verdicts;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Verdicts;

/// <summary>Two `loganalytics run` processes in one consumer group, each with its own database file (what
/// `kubectl scale --replicas=2` does): a worker that owns only some partitions publishes no verdict, so the verdict
/// topic never alternates between a decision from all the traffic and one from a share of it.</summary>
[Collection("kafka")]
public sealed class PartialOwnershipTests(KafkaFixture kafka, ITestOutputHelper output) : IDisposable
{
    private const string Withheld = "Verdicts withheld";
    private const string Skipped = "Evaluation skipped";
    private readonly string _dir = Directory.CreateTempSubdirectory("la-partial-").FullName;

    [Fact]
    public async Task A_second_worker_in_the_group_makes_both_withhold_verdicts_and_the_topic_keeps_one_decision_per_experiment()
    {
        var topic = $"partial-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var verdictTopic = $"{topic}-verdicts";
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);

        Dictionary<string, string?> Settings(string name)
        {
            var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, Path.Combine(_dir, $"{name}.duckdb"), kafka.ClientOverrides, group: $"{topic}-group");
            settings["Experiments:EvaluationIntervalSeconds"] = "1";
            settings["Serilog:MinimumLevel:Override:LogAnalytics.Publishing.VerdictWorker"] = "Debug";
            WorkerHost.AddExperiments(settings, "alpha", "beta");
            return settings;
        }

        // Worker A alone owns every partition: it publishes verdicts from all the traffic.
        using var first = WorkerProcess.Start(Path.Combine(_dir, "a.json"), Settings("a"));
        await Eventually.UntilAsync(() => first.Said("owns 3 of the 3 partitions") || first.HasExited, TimeSpan.FromSeconds(120),
            () => $"worker A never owned the partitions:\n{first.Output}");
        Assert.False(first.HasExited, first.Output);
        await kafka.ProduceAsync(topic, Traffic("alpha", 12_000, 1.0, 0.01, start, seed: 1).Concat(Traffic("beta", 12_000, 1.6, 0.06, start, seed: 2)));
        var expected = new Dictionary<string, string> { ["alpha"] = Decisions.Go, ["beta"] = Decisions.NoGo };
        await Eventually.UntilAsync(() =>
        {
            var latest = Latest(kafka.ReadAllAsync(verdictTopic).GetAwaiter().GetResult());
            return expected.All(e => latest.TryGetValue(e.Key, out var v) && v.Decision == e.Value && v.Samples.Baseline + v.Samples.Canary == 12_000);
        }, TimeSpan.FromSeconds(120), () => $"worker A has not published both verdicts from all 24,000 requests:\n{first.Output}");

        // Worker B joins the group with its own database: the partitions are split, each owns a share of the traffic.
        using var second = WorkerProcess.Start(Path.Combine(_dir, "b.json"), Settings("b"));
        await Eventually.UntilAsync(() => (first.Said(Withheld) && second.Said(Withheld)) || second.HasExited, TimeSpan.FromSeconds(120),
            () => $"the workers did not both report partial ownership.\nA:\n{first.Output}\nB:\n{second.Output}");
        Assert.False(second.HasExited, second.Output);
        // One full evaluation round in each that started after it went partial; from then on neither may publish.
        await Eventually.UntilAsync(() => SkippedSinceWithheld(first) >= 1 && SkippedSinceWithheld(second) >= 1, TimeSpan.FromSeconds(60),
            () => $"no skipped evaluation yet.\nA:\n{first.Output}\nB:\n{second.Output}");
        var published = (await kafka.ReadAllAsync(verdictTopic)).Count;
        // More traffic now lands in both files, a share in each; it must not turn into a verdict.
        await kafka.ProduceAsync(topic, Traffic("alpha", 3_000, 1.0, 0.01, start.AddMinutes(5), seed: 3).Skip(1));
        await Eventually.UntilAsync(() => SkippedSinceWithheld(first) >= 4 && SkippedSinceWithheld(second) >= 4, TimeSpan.FromSeconds(60),
            () => $"fewer than four skipped evaluations.\nA:\n{first.Output}\nB:\n{second.Output}");
        var log = await kafka.ReadAllAsync(verdictTopic);
        output.WriteLine($"{published} verdicts on the topic when both withheld, {log.Count} four evaluation rounds later");
        Assert.Equal(published, log.Count);

        // Both say so once, with what to do, and keep ingesting.
        foreach (var worker in new[] { first, second })
        {
            Assert.Equal(1, Occurrences(worker.Output, Withheld));
            Assert.Contains("run one worker per Kafka:GroupId", worker.Output, StringComparison.Ordinal);
        }
        var both = first.Output + "\n" + second.Output;
        Assert.Contains("owns 1 of the 3 partitions", both, StringComparison.Ordinal);
        Assert.Contains("owns 2 of the 3 partitions", both, StringComparison.Ordinal);
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(60)));
        Assert.Equal(0, await first.TerminateAsync(TimeSpan.FromSeconds(60)));

        // One decision per experiment on the topic, all from worker A's complete data; B published nothing at all.
        // In publication order (one partition per key) the samples never shrink, as they would if a verdict from a
        // share of the traffic came in between, and once the decision is reached it never flips back (A's early
        // verdicts wait while its data is still arriving).
        foreach (var group in log.GroupBy(r => r.Key!))
        {
            var verdicts = group.OrderBy(r => r.Offset).Select(r => Verdict.FromJson(r.Value!)!).ToList();
            var samples = verdicts.Select(v => v.Samples.Baseline + v.Samples.Canary).ToList();
            Assert.Equal(samples.Order(), samples);
            var decided = verdicts.FindIndex(v => v.Decision == expected[group.Key]);
            Assert.True(decided >= 0, $"{group.Key} never reached {expected[group.Key]}");
            Assert.All(verdicts.Skip(decided), v => Assert.Equal(expected[group.Key], v.Decision));
            Assert.All(verdicts.Take(decided), v => Assert.Equal(Decisions.Wait, v.Decision));
            Assert.Equal(12_000, samples[^1]);
        }
        Assert.Equal(expected.Keys.Order(), log.Select(r => r.Key!).Distinct().Order());
        Assert.Equal(0, DatabaseProbe.Count(Path.Combine(_dir, "b.duckdb"), "SELECT count(*) FROM verdicts"));
        Assert.True(DatabaseProbe.Count(Path.Combine(_dir, "b.duckdb"), "SELECT count(*) FROM requests") > 0, "worker B should have ingested its share");
        Assert.True(DatabaseProbe.Count(Path.Combine(_dir, "a.duckdb"), "SELECT count(*) FROM verdicts") >= log.Count);
    }

    private static int SkippedSinceWithheld(WorkerProcess worker)
    {
        var text = worker.Output;
        var at = text.IndexOf(Withheld, StringComparison.Ordinal);
        return at < 0 ? 0 : Occurrences(text[at..], Skipped);
    }

    private static int Occurrences(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }
        return count;
    }

    private static Dictionary<string, Verdict> Latest(IReadOnlyList<KafkaRecord> records)
    {
        var latest = new Dictionary<string, Verdict>();
        foreach (var r in records.OrderBy(r => r.Partition).ThenBy(r => r.Offset))
        {
            latest[r.Key!] = Verdict.FromJson(r.Value!)!;
        }
        return latest;
    }

    /// <summary>Requests of one experiment at stage 25: a quarter on holy_sheep, its latency multiplied by
    /// <paramref name="canaryLatencyFactor"/> and failing at <paramref name="canaryErrorRate"/>.</summary>
    private static IEnumerable<(string? Key, string Value)> Traffic(string experiment, int count, double canaryLatencyFactor, double canaryErrorRate,
        DateTimeOffset start, int seed)
    {
        var random = new Random(seed);
        yield return (experiment, $$"""{"kind":"stage","experiment":"{{experiment}}","weight":25,"timestamp":"{{start.AddSeconds(-1):O}}"}""");
        for (var i = 0; i < count; i++)
        {
            var canary = random.NextDouble() < 0.25;
            var normal = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
            var latency = Math.Exp(Math.Log(800) + 0.5 * normal) * (canary ? canaryLatencyFactor : 1);
            var error = random.NextDouble() < (canary ? canaryErrorRate : 0.01);
            yield return ($"{experiment}-{i}", string.Create(CultureInfo.InvariantCulture,
                $$"""{"timestamp":"{{start.AddMilliseconds(i * 20):O}}","experiment":"{{experiment}}","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{latency:F1}},"status_code":{{(error ? 503 : 200)}},"request_id":"{{experiment}}-{{i}}"}"""));
        }
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
