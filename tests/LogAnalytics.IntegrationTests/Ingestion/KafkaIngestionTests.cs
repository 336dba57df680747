using System.Text;
using System.Text.Json;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Ingestion;

/// <summary>Kafka -> DuckDB against a real broker: every valid event exactly once, every bad one quarantined with a
/// reason, across partitions, a broker restart and a rebalance. "What the log holds" is read back from the broker,
/// because a 0.9 producer retrying across a restart may write a message twice at a new offset.</summary>
[Collection("kafka")]
public sealed class KafkaIngestionTests(KafkaFixture kafka, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-itest-").FullName;

    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    [Fact]
    public async Task Events_across_partitions_with_bad_messages_land_exactly_once_and_bad_ones_are_quarantined()
    {
        var topic = $"exact-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 4);
        var messages = Enumerable.Range(0, 3000).Select(i => TrafficMessages.Message(topic, i)).ToList();
        await kafka.ProduceAsync(topic, messages.Select(m => ((string?)m.Key, m.Value)));
        var log = await kafka.ReadAllAsync(topic);
        Assert.Equal(3000, log.Count);
        Assert.True(log.Select(r => r.Partition).Distinct().Count() > 1, "messages should spread across partitions");

        var db = Path.Combine(_dir, "exact.duckdb");
        await using (await WorkerHost.StartAsync(WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides)))
        {
            await Eventually.UntilAsync(() => StoredCount(db) == log.Count, Deadline, () => $"{StoredCount(db)} of {log.Count} stored");
        }

        AssertExactlyTheLog(db, topic, log);
        var bad = log.Where(r => messages.Single(m => m.Key == r.Key).Bad).ToList();
        Assert.Equal(30, bad.Count);
        var quarantined = DatabaseProbe.Rows(db, "SELECT source_partition, source_offset, reason, detail, raw FROM quarantine",
            r => (Partition: r.GetInt32(0), Offset: r.GetInt64(1), Reason: r.GetString(2), Detail: r.GetString(3), Raw: r.IsDBNull(4) ? [] : ReadBlob(r, 4)));
        Assert.Equal(bad.Count, quarantined.Count);
        foreach (var q in quarantined)
        {
            var original = log.Single(r => r.Partition == q.Partition && r.Offset == q.Offset);
            Assert.Equal(System.Text.Encoding.UTF8.GetBytes(original.Value ?? ""), q.Raw);
            Assert.False(string.IsNullOrWhiteSpace(q.Reason));
            Assert.False(string.IsNullOrWhiteSpace(q.Detail));
        }
        Assert.Contains(quarantined, q => q.Reason == "not_json");
        Assert.Contains(quarantined, q => q.Reason == "missing_field");
        Assert.Contains(quarantined, q => q.Reason == "out_of_range");
        Assert.Contains(quarantined, q => q.Reason == "absurd_timestamp");

        // The dead-letter topic holds an envelope for each bad message, with the same reason.
        var deadLetters = await kafka.ReadAllAsync($"{topic}-dlq");
        Assert.Equal(bad.Count, deadLetters.Count);
        foreach (var d in deadLetters)
        {
            using var envelope = JsonDocument.Parse(d.Value!);
            var partition = envelope.RootElement.GetProperty("partition").GetInt32();
            var offset = envelope.RootElement.GetProperty("offset").GetInt64();
            var q = quarantined.Single(x => x.Partition == partition && x.Offset == offset);
            Assert.Equal(q.Reason, envelope.RootElement.GetProperty("reason").GetString());
        }

        // Values landed as produced.
        var rows = DatabaseProbe.Rows(db, "SELECT request_id, latency_ms, status_code FROM requests",
            r => (Id: r.GetString(0), Latency: r.GetDouble(1), Status: r.GetInt32(2)));
        foreach (var row in rows)
        {
            var i = int.Parse(row.Id[(topic.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(TrafficMessages.Latency(i), row.Latency);
            Assert.Equal(i % 97 == 0 ? 504 : i % 89 == 0 ? 0 : 200, row.Status);
        }
    }

    [Fact]
    public async Task A_broker_restart_mid_stream_loses_and_duplicates_nothing()
    {
        var topic = $"restart-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var db = Path.Combine(_dir, "restart.duckdb");
        await using (await WorkerHost.StartAsync(WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides)))
        {
            await kafka.ProduceAsync(topic, Enumerable.Range(0, 1000).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
            await Eventually.UntilAsync(() => StoredCount(db) == 1000, Deadline, () => $"{StoredCount(db)} of 1000 stored before the restart");
            if (kafka.CanRestart)
            {
                await kafka.RestartBrokerAsync();
            }
            else
            {
                output.WriteLine("The broker is external (LOGANALYTICS_TEST_KAFKA); it was not restarted, the rest of the scenario ran.");
            }
            await kafka.ProduceAsync(topic, Enumerable.Range(1000, 1000).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
            var log = await kafka.ReadAllAsync(topic);
            Assert.True(log.Count >= 2000, $"the log holds {log.Count} messages");
            await Eventually.UntilAsync(() => StoredCount(db) == log.Count, Deadline, () => $"{StoredCount(db)} of {log.Count} stored after the restart");
        }
        AssertExactlyTheLog(db, topic, await kafka.ReadAllAsync(topic));
    }

    [Fact]
    public async Task A_rebalance_between_two_workers_loses_and_duplicates_nothing()
    {
        var topic = $"rebalance-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 4);
        var db = Path.Combine(_dir, "rebalance.duckdb");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        async Task Produce(int from, int count) =>
            await kafka.ProduceAsync(topic, Enumerable.Range(from, count).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));

        var first = await WorkerHost.StartAsync(settings);
        await Produce(0, 1000);
        await Eventually.UntilAsync(() => StoredCount(db) == 1000, Deadline, () => $"{StoredCount(db)} of 1000 stored by the first worker");

        // A second worker joins the group: partitions are revoked and reassigned while traffic flows.
        var second = await WorkerHost.StartAsync(settings);
        await Eventually.UntilAsync(() => second.Statistics.AssignedPartitions > 0 && first.Statistics.AssignedPartitions is > 0 and < 4, Deadline,
            () => $"partitions not split yet: first owns {first.Statistics.AssignedPartitions}, second {second.Statistics.AssignedPartitions}");
        await Produce(1000, 1000);
        await Eventually.UntilAsync(() => StoredCount(db) == 2000 && second.Statistics.Stored > 0, Deadline,
            () => $"{StoredCount(db)} of 2000 stored; second worker stored {second.Statistics.Stored}");

        // The first leaves: the second takes every partition over from the offsets in DuckDB.
        var firstStored = first.Statistics.Stored;
        await first.DisposeAsync();
        await Produce(2000, 1000);
        var log = await kafka.ReadAllAsync(topic);
        await Eventually.UntilAsync(() => StoredCount(db) == log.Count, Deadline, () => $"{StoredCount(db)} of {log.Count} stored after the first worker left");
        await second.DisposeAsync();

        Assert.True(firstStored > 0);
        AssertExactlyTheLog(db, topic, log);
    }

    /// <summary>Every message the log holds is in DuckDB exactly once (as an event or in quarantine), and nothing else is.</summary>
    internal static void AssertExactlyTheLog(string db, string topic, IReadOnlyList<KafkaRecord> log)
    {
        var stored = DatabaseProbe.Rows(db,
            $"SELECT source_partition, source_offset FROM requests WHERE source = '{topic}' UNION ALL SELECT source_partition, source_offset FROM quarantine WHERE source = '{topic}'",
            r => (r.GetInt32(0), r.GetInt64(1)));
        var duplicates = stored.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"{duplicates.Count} positions stored twice, e.g. {string.Join(", ", duplicates.Take(5))}");
        var expected = log.Select(r => (r.Partition, r.Offset)).ToHashSet();
        var missing = expected.Except(stored).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} messages of the log are not stored, e.g. {string.Join(", ", missing.Take(5))}");
        Assert.Equal(expected.Count, stored.Count);
        // Each valid message's request_id is its key: the row is the message at that position.
        var ids = DatabaseProbe.Rows(db, $"SELECT source_partition, source_offset, request_id FROM requests WHERE source = '{topic}'",
            r => (Position: (r.GetInt32(0), r.GetInt64(1)), Id: r.GetString(2)));
        var keys = log.ToDictionary(r => (r.Partition, r.Offset), r => r.Key);
        Assert.All(ids, row => Assert.Equal(keys[row.Position], row.Id));
    }

    private static long StoredCount(string db) =>
        DatabaseProbe.TryCount(db, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM quarantine)");

    private static byte[] ReadBlob(DuckDB.NET.Data.DuckDBDataReader reader, int ordinal)
    {
        using var stream = reader.GetStream(ordinal);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a worker still closing the file; the temp folder is reclaimed by the OS.
        }
    }
}
