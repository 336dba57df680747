using System.Globalization;
using System.Text.Json;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;

namespace LogAnalytics.IntegrationTests.Ingestion;

/// <summary>Shippers' envelopes through a real broker: the guide's event bare, in Docker's json-file envelope, as a
/// Kubernetes CRI line and as a CRI chain split into partial lines, all produced to one topic, are stored exactly
/// once each, with the same columns as the bare event; the partial lines are joined, stored at the final line's
/// offset, and the stored offsets cover them.</summary>
[Collection("kafka")]
public sealed class EnvelopeIngestionTests(KafkaFixture kafka) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-itest-envelopes-").FullName;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    private static string Guide(int i) => string.Create(CultureInfo.InvariantCulture,
        $$"""{"timestamp": "2026-11-24T10:{{i / 60 % 60:00}}:{{i % 60:00}}", "endpoint": "{{(i % 20 == 0 ? "holy_sheep" : "legacy")}}", "model": "gpt-4.1", "latency_ms": {{300 + i}}.5, "status_code": 200, "request_id": "g-{{i}}", "success": true}""");

    [Fact]
    public async Task Docker_and_cri_wrapped_events_are_stored_exactly_once_with_the_same_columns_as_bare_events()
    {
        var topic = $"envelopes-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 2);
        const int events = 200;
        var messages = new List<(string? Key, string Value)>();
        for (var i = 0; i < events; i++)
        {
            var line = "[TRAFFIC LOG] " + Guide(i);
            messages.Add(($"bare-{i}", Guide(i)));
            messages.Add(($"docker-{i}", $"{{\"log\":{JsonSerializer.Serialize(line + "\n")},\"stream\":\"stdout\",\"time\":\"2026-11-24T10:00:01.123456789Z\"}}"));
            messages.Add(($"cri-{i}", $"2026-11-24T10:00:01.123456789Z stdout F {line}"));
            // One key for the whole chain: its lines land consecutively in one partition, as a shipper sends them.
            messages.Add(($"chain-{i}", $"2026-11-24T10:00:01.1Z stdout P {line[..35]}"));
            messages.Add(($"chain-{i}", $"2026-11-24T10:00:01.1Z stdout P {line[35..80]}"));
            messages.Add(($"chain-{i}", $"2026-11-24T10:00:01.1Z stdout F {line[80..]}"));
        }
        await kafka.ProduceAsync(topic, messages);
        var log = await kafka.ReadAllAsync(topic);
        Assert.Equal(messages.Count, log.Count);
        var partialOffsets = log.Where(r => r.Value!.Contains(" stdout P ", StringComparison.Ordinal)).Select(r => (r.Partition, r.Offset)).ToHashSet();
        var final = log.Where(r => !partialOffsets.Contains((r.Partition, r.Offset))).ToList();

        var db = Path.Combine(_dir, "envelopes.duckdb");
        await using (await WorkerHost.StartAsync(WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides)))
        {
            await Eventually.UntilAsync(() => StoredCount(db) == final.Count, Deadline, () => $"{StoredCount(db)} of {final.Count} stored");
            // Stored offsets reach the end of every partition: the partial lines are covered by their final line.
            await Eventually.UntilAsync(() => StoredOffsetsEnd(db, topic) == log.GroupBy(r => r.Partition).Sum(g => g.Max(r => r.Offset) + 1), Deadline,
                () => $"stored offsets end at {StoredOffsetsEnd(db, topic)}");
        }

        Assert.Equal(0, DatabaseProbe.TryCount(db, "SELECT count(*) FROM quarantine"));
        var stored = DatabaseProbe.Rows(db, $"SELECT source_partition, source_offset, request_id FROM requests WHERE source = '{topic}'",
            r => (Position: (r.GetInt32(0), r.GetInt64(1)), Id: r.GetString(2)));
        // Exactly once: every bare, Docker, CRI and chain-final message once, no partial line on its own.
        Assert.Equal(final.Select(r => (r.Partition, r.Offset)).Order(), stored.Select(s => s.Position).Order());
        var keys = log.ToDictionary(r => (r.Partition, r.Offset), r => r.Key!);
        Assert.All(stored, s => Assert.Equal(s.Id, "g-" + keys[s.Position][(keys[s.Position].IndexOf('-', StringComparison.Ordinal) + 1)..]));
        // The same columns as the bare event: four forms, one distinct row per event.
        Assert.Equal(4 * events, DatabaseProbe.TryCount(db, "SELECT count(*) FROM requests"));
        Assert.Equal(events, DatabaseProbe.TryCount(db,
            "SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (source, source_partition, source_offset, ingested_at) FROM requests)"));
        Assert.Equal(1, DatabaseProbe.TryCount(db, "SELECT count(DISTINCT attributes::VARCHAR) FROM requests WHERE attributes::VARCHAR = '{\"success\":true}'"));
        Assert.Equal(0, DatabaseProbe.TryCount(db, "SELECT count(*) FROM requests WHERE attributes::VARCHAR <> '{\"success\":true}'"));
    }

    private static long StoredCount(string db) =>
        DatabaseProbe.TryCount(db, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM quarantine)");

    private static long StoredOffsetsEnd(string db, string topic) =>
        DatabaseProbe.TryCount(db, $"SELECT coalesce(sum(next_offset), 0)::BIGINT FROM ingest_offsets WHERE source = '{topic}'");

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a worker still closing the file.
        }
    }
}
