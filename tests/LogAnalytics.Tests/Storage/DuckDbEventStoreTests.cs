using System.Text;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Storage;

public sealed class DuckDbEventStoreTests : IDisposable
{
    private static readonly DateTimeOffset Ts = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-store-").FullName;

    private string Db => Path.Combine(_dir, "t.duckdb");

    private static RequestEvent Request(string id) => new()
    {
        Timestamp = Ts, Endpoint = "holy_sheep", LatencyMs = 812.5, StatusCode = 504, Experiment = "exp", Variant = Variants.Canary,
        RequestId = id, Model = "gpt-4.1", HashBucket = 3, PromptTokens = 800, CompletionTokens = 200, TotalTokens = 1000,
        CostUsd = 0.0042, TtftMs = 120.5, Stream = true, ErrorType = "timeout", Error = "{\"after_ms\":30000}", RetryCount = 2,
        Attributes = "{\"region\":\"eu\"}",
    };

    private static IngestBatch Batch(string source, int partition, long from, int count)
    {
        var batch = new IngestBatch();
        for (var o = from; o < from + count; o++)
        {
            batch.Add(new SourcePosition(source, partition, o), DecodeResult.Accept(Request($"r{o}")), null, null, Ts);
        }
        return batch;
    }

    /// <summary>After a rolled-back write: partition t/0 holds exactly its first <paramref name="stored"/> rows, its
    /// next offset read from the file says so, and writing the rest up to <paramref name="upTo"/> stores each once.</summary>
    private static void AssertRolledBackAndWritableAgain(DuckDbEventStore store, int stored, int upTo)
    {
        Assert.Equal(stored, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(stored, store.LoadOffsets("t")[0]);
        Assert.Equal(upTo - stored, store.Write(Batch("t", 0, stored, upTo - stored)).Requests);
        Assert.Equal(upTo, Count(store, "SELECT count(DISTINCT source_offset) FROM requests"));
        Assert.Equal(upTo, Count(store, "SELECT count(*) FROM requests"));
    }

    private static long Count(DuckDbEventStore store, string sql) => Convert.ToInt64(store.Scalar(sql), System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void Migrations_apply_once_and_reopening_keeps_the_schema()
    {
        int version;
        using (var store = DuckDbEventStore.Open(Db))
        {
            version = store.SchemaVersion();
            Assert.True(version >= 2);
        }
        using (var again = DuckDbEventStore.Open(Db))
        {
            Assert.Equal(version, again.SchemaVersion());
            Assert.Equal(version, Count(again, "SELECT count(*) FROM schema_migrations"));
        }
    }

    [Fact]
    public void A_request_round_trips_every_column()
    {
        using var store = DuckDbEventStore.Open(Db);
        store.Write(Batch("topic", 2, 41, 1));
        using var cmd = store.Connection.CreateCommand();
        cmd.CommandText = "SELECT source, source_partition, source_offset, ts, experiment, variant, endpoint, request_id, model, hash_bucket, status_code, latency_ms, ttft_ms, prompt_tokens, completion_tokens, total_tokens, cost_usd, stream, error_type, error, retry_count, attributes->>'region' FROM requests";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal("topic", r.GetString(0));
        Assert.Equal(2, r.GetInt32(1));
        Assert.Equal(41, r.GetInt64(2));
        Assert.Equal(Ts, r.GetFieldValue<DateTimeOffset>(3));
        Assert.Equal(["exp", "canary", "holy_sheep", "r41", "gpt-4.1"], new[] { r.GetString(4), r.GetString(5), r.GetString(6), r.GetString(7), r.GetString(8) });
        Assert.Equal(3, r.GetInt64(9));
        Assert.Equal(504, r.GetInt32(10));
        Assert.Equal(812.5, r.GetDouble(11));
        Assert.Equal(120.5, r.GetDouble(12));
        Assert.Equal([800L, 200L, 1000L], new[] { r.GetInt64(13), r.GetInt64(14), r.GetInt64(15) });
        Assert.Equal(0.0042, r.GetDouble(16));
        Assert.True(r.GetBoolean(17));
        Assert.Equal("timeout", r.GetString(18));
        Assert.Equal("{\"after_ms\":30000}", r.GetString(19));
        Assert.Equal(2, r.GetInt32(20));
        Assert.Equal("eu", r.GetString(21));
        Assert.False(r.Read());
    }

    [Fact]
    public void Writing_the_same_messages_again_adds_nothing_and_only_newer_offsets_land()
    {
        using var store = DuckDbEventStore.Open(Db);
        Assert.Equal(100, store.Write(Batch("t", 0, 0, 100)).Requests);
        Assert.Equal(0, store.Write(Batch("t", 0, 0, 100)).Requests);
        var overlapping = store.Write(Batch("t", 0, 50, 100));
        Assert.Equal(50, overlapping.Requests);
        Assert.Equal(150, Count(store, "SELECT count(DISTINCT source_offset) FROM requests"));
        Assert.Equal(150, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(150, store.LoadOffsets("t")[0]);
        // Another partition and source are independent.
        Assert.Equal(10, store.Write(Batch("t", 1, 0, 10)).Requests);
        Assert.Equal(10, store.Write(Batch("u", 0, 0, 10)).Requests);
        Assert.Equal(10, store.LoadOffsets("t")[1]);
    }

    [Fact]
    public void A_batch_over_several_partitions_stores_every_next_offset_and_a_reopened_store_skips_what_is_stored()
    {
        var batch = Batch("t", 0, 0, 20);
        foreach (var (partition, from) in new[] { (1, 100L), (2, 7L), (1, 120L) })
        {
            for (var o = from; o < from + 5; o++)
            {
                batch.Add(new SourcePosition("t", partition, o), DecodeResult.Accept(Request($"p{partition}-{o}")), null, null, Ts);
            }
        }
        batch.Add(new SourcePosition("u", 3, 41), DecodeResult.Accept(Request("u41")), null, null, Ts);
        using (var store = DuckDbEventStore.Open(Db))
        {
            Assert.Equal(36, store.Write(batch).Requests);
            Assert.Equal(0, store.Write(batch).Requests); // remembered offsets: nothing twice
        }
        using (var reopened = DuckDbEventStore.Open(Db))
        {
            Assert.Equal(new Dictionary<int, long> { [0] = 20, [1] = 125, [2] = 12 }, reopened.LoadOffsets("t"));
            Assert.Equal(42, reopened.LoadOffsets("u")[3]);
            Assert.Equal(0, reopened.Write(batch).Requests);
            Assert.Equal(3, reopened.Write(Batch("t", 2, 10, 5)).Requests); // of offsets 10..14, only 12..14 are new
            Assert.Equal(39, Count(reopened, "SELECT count(*) FROM requests"));
        }
    }

    [Fact]
    public void A_failed_write_stores_nothing_and_the_next_write_reads_the_offsets_from_the_file()
    {
        using var store = DuckDbEventStore.Open(Db);
        Assert.Equal(10, store.Write(Batch("t", 0, 0, 10)).Requests);
        // The offsets upsert fails after the rows were appended: the whole transaction must roll back.
        store.Execute("ALTER TABLE ingest_offsets RENAME TO ingest_offsets_away");
        Assert.ThrowsAny<Exception>(() => store.Write(Batch("t", 0, 10, 10)));
        store.Execute("ALTER TABLE ingest_offsets_away RENAME TO ingest_offsets");
        AssertRolledBackAndWritableAgain(store, stored: 10, upTo: 20);
    }

    [Fact]
    public void A_transaction_of_several_batches_commits_their_rows_and_the_furthest_offsets_together()
    {
        using var store = DuckDbEventStore.Open(Db);
        Assert.Equal(10, store.Write(Batch("t", 0, 0, 10)).Requests);
        using (var transaction = store.BeginWrite())
        {
            Assert.Equal(5, transaction.Append(Batch("t", 0, 5, 10)).Requests); // offsets 5..9 were stored before it
            var quarantined = new IngestBatch();
            quarantined.Add(new SourcePosition("t", 0, 15), DecodeResult.Reject("not_json", "x"), null, [1, 2], Ts);
            Assert.Equal(1, transaction.Append(quarantined).Quarantined);
            Assert.Equal(3, transaction.Append(Batch("t", 1, 0, 3)).Requests);
            Assert.Equal(new BatchWriteResult(8, 0, 0, 1), transaction.Appended);
            // Nothing is visible to another connection before the commit.
            using var other = new DuckDBConnection($"Data Source={store.DatabasePath}"); // the same database instance
            other.Open();
            using var cmd = other.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM requests";
            Assert.Equal(10L, Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
            transaction.Commit();
        }
        Assert.Equal(18, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(1, Count(store, "SELECT count(*) FROM quarantine WHERE source_offset = 15"));
        Assert.Equal(new Dictionary<int, long> { [0] = 16, [1] = 3 }, store.LoadOffsets("t"));
    }

    [Fact]
    public void A_transaction_disposed_without_commit_stores_nothing_of_any_of_its_batches()
    {
        using var store = DuckDbEventStore.Open(Db);
        Assert.Equal(10, store.Write(Batch("t", 0, 0, 10)).Requests);
        using (var transaction = store.BeginWrite())
        {
            transaction.Append(Batch("t", 0, 10, 10));
            transaction.Append(Batch("t", 0, 20, 10));
        }
        AssertRolledBackAndWritableAgain(store, stored: 10, upTo: 30);
    }

    [Fact]
    public void A_transaction_whose_commit_failed_cannot_be_used_again_and_stores_nothing()
    {
        using var store = DuckDbEventStore.Open(Db);
        store.Write(Batch("t", 0, 0, 10));
        store.Execute("ALTER TABLE ingest_offsets RENAME TO ingest_offsets_away");
        using (var transaction = store.BeginWrite())
        {
            transaction.Append(Batch("t", 0, 10, 10));
            Assert.ThrowsAny<Exception>(transaction.Commit);
            var again = Assert.Throws<InvalidOperationException>(() => transaction.Append(Batch("t", 0, 20, 1)));
            Assert.Contains("dispose it", again.Message, StringComparison.Ordinal);
        }
        store.Execute("ALTER TABLE ingest_offsets_away RENAME TO ingest_offsets");
        AssertRolledBackAndWritableAgain(store, stored: 10, upTo: 20);
    }

    [Fact]
    public void Quarantined_messages_keep_their_bytes_and_reason_and_advance_the_offset()
    {
        using var store = DuckDbEventStore.Open(Db);
        var batch = new IngestBatch();
        var raw = Encoding.UTF8.GetBytes("not json \u00e9");
        batch.Add(new SourcePosition("t", 0, 7), DecodeResult.Reject(RejectionReasons.NotJson, "invalid JSON at byte 0"), Encoding.UTF8.GetBytes("k"), raw, Ts);
        Assert.Equal(1, store.Write(batch).Quarantined);
        using var cmd = store.Connection.CreateCommand();
        cmd.CommandText = "SELECT reason, detail, raw, message_key FROM quarantine";
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal("not_json", r.GetString(0));
        Assert.Equal("invalid JSON at byte 0", r.GetString(1));
        using var stream = r.GetStream(2);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        Assert.Equal(raw, copy.ToArray());
        Assert.Equal(8, store.LoadOffsets("t")[0]);
    }

    [Fact]
    public void The_analyst_snapshot_is_readable_by_another_connection_while_the_store_is_open()
    {
        using var store = DuckDbEventStore.Open(Db);
        store.Write(Batch("t", 0, 0, 25));
        var snapshot = Path.Combine(_dir, "t.snapshot.duckdb");
        store.WriteSnapshot(snapshot);
        store.Write(Batch("t", 0, 25, 5)); // after the snapshot: not in it
        using (var reader = new DuckDBConnection($"Data Source={snapshot};ACCESS_MODE=READ_ONLY"))
        {
            reader.Open();
            using var cmd = reader.CreateCommand();
            cmd.CommandText = "SELECT count(*) FROM requests";
            Assert.Equal(25L, Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }
        store.WriteSnapshot(snapshot); // replaced atomically
        using var again = new DuckDBConnection($"Data Source={snapshot};ACCESS_MODE=READ_ONLY");
        again.Open();
        using var count = again.CreateCommand();
        count.CommandText = "SELECT count(*) FROM requests";
        Assert.Equal(30L, Convert.ToInt64(count.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
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
