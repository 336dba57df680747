using System.Globalization;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Storage;

/// <summary>
/// The Kafka pipeline's decode tasks write requests into DuckDB's chunks ahead of their transaction
/// (<see cref="DuckDbRequestChunks"/>). Stored, those rows must be exactly the appender's rows for the same events
/// (the appender is checked value by value in <see cref="DuckDbChunkAppenderTests"/>), with the transaction's
/// <c>ingested_at</c>; rows a lost partition left in them must go, and rows stored before must stay; chunks that
/// would store a row twice must be refused.
/// </summary>
public sealed class DuckDbRequestChunksTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-requestchunks-").FullName;

    private static readonly Dictionary<(string Source, int Partition), (long First, long Last)> NoneLeftOut = new();

    private string Db(string name) => Path.Combine(_dir, name + ".duckdb");

    /// <summary>The same messages with their requests in chunks (filled on several threads, as the decode tasks do,
    /// in sets of <paramref name="setSize"/>) and everything else as objects.</summary>
    private static (IngestBatch Others, List<DuckDbRequestChunks> Chunks) Split(IngestBatch batch, int setSize)
    {
        var rest = new IngestBatch();
        var requests = new List<(SourcePosition Position, RequestEvent Request)>();
        foreach (var (position, evt) in batch.Events)
        {
            if (evt is RequestEvent r)
            {
                requests.Add((position, r));
                rest.Advance(position);
            }
            else
            {
                rest.Add(position, DecodeResult.Accept(evt), null, null, DateTimeOffset.UnixEpoch);
            }
        }
        foreach (var q in batch.Quarantined)
        {
            rest.Add(q.Position, DecodeResult.Reject(q.Rejection), q.Key, q.Raw, q.ReceivedAt);
        }
        var sets = requests.Chunk(setSize).ToList();
        var chunks = new DuckDbRequestChunks[sets.Count];
        Parallel.For(0, sets.Count, i =>
        {
            chunks[i] = new DuckDbRequestChunks();
            foreach (var (position, request) in sets[i])
            {
                chunks[i].Add(position, request);
            }
        });
        return (rest, chunks.ToList());
    }

    private static IngestBatch Requests(int partition, long from, int count)
    {
        var batch = new IngestBatch();
        var random = new Random(partition * 1000 + (int)from);
        for (var o = from; o < from + count; o++)
        {
            batch.Add(new SourcePosition("topic", partition, o), DecodeResult.Accept(DuckDbChunkAppenderTests.RandomRequest(random)), null, null, DateTimeOffset.UnixEpoch);
        }
        return batch;
    }

    [Fact]
    public void Rows_appended_from_chunks_filled_ahead_equal_the_appenders_rows_for_the_same_events()
    {
        var batch = DuckDbChunkAppenderTests.RandomBatch(seed: 13, from: 0, count: 20_000);
        using (var peer = DuckDbEventStore.Open(Db("peer")))
        {
            peer.Write(batch);
        }
        var (rest, chunks) = Split(batch, setSize: 3_000); // more than a DuckDB chunk (2,048 rows) per set
        using var store = DuckDbEventStore.Open(Db("chunks"));
        var before = DateTimeOffset.UtcNow;
        BatchWriteResult written;
        try
        {
            written = store.WriteWithRequestChunks(rest, chunks, NoneLeftOut);
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
        var after = DateTimeOffset.UtcNow;

        var requests = batch.Events.Count(e => e.Event is RequestEvent);
        Assert.True(requests > 5 * 2048, "requests span several chunks");
        Assert.Equal(batch.Count, written.Total);
        Assert.Equal(requests, written.Requests);
        store.Execute($"ATTACH '{Db("peer")}' AS peer (READ_ONLY)");
        foreach (var table in new[] { "requests", "validations", "stages" })
        {
            Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT * EXCLUDE (ingested_at) FROM {table} EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM peer.{table})"));
            Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT * EXCLUDE (ingested_at) FROM peer.{table} EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM {table})"));
        }
        Assert.Equal(0, Count(store, "SELECT count(*) FROM (SELECT * FROM quarantine EXCEPT ALL SELECT * FROM peer.quarantine)"));
        Assert.Equal(0, Count(store, "SELECT count(*) FROM (SELECT * FROM peer.quarantine EXCEPT ALL SELECT * FROM quarantine)"));
        const string Offsets = "SELECT source, source_partition, next_offset FROM";
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM ({Offsets} ingest_offsets EXCEPT ALL {Offsets} peer.ingest_offsets)"));
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM ({Offsets} peer.ingest_offsets EXCEPT ALL {Offsets} ingest_offsets)"));
        // Every request got the transaction's ingested_at, as the rows written through the appender did.
        Assert.Equal(1, Count(store, "SELECT count(DISTINCT ingested_at) FROM (SELECT ingested_at FROM requests UNION ALL SELECT ingested_at FROM validations)"));
        var ingestedAt = (DateTime)store.Scalar("SELECT min(ingested_at) FROM requests")!;
        Assert.InRange(new DateTimeOffset(DateTime.SpecifyKind(ingestedAt, DateTimeKind.Utc)), before.AddMilliseconds(-1), after);
    }

    [Fact]
    public void A_left_out_partitions_rows_are_deleted_in_the_transaction_and_rows_stored_before_stay()
    {
        using var store = DuckDbEventStore.Open(Db("leave-out"));
        store.Write(Requests(partition: 0, from: 0, count: 100));

        // Partition 0's next rows were decoded ahead, then the partition was lost: its offsets leave the batch.
        var (_, lostChunks) = Split(Requests(partition: 0, from: 100, count: 3_000), setSize: 1_024);
        var (kept, keptChunks) = Split(Requests(partition: 1, from: 0, count: 2_500), setSize: 1_024);
        var mixed = new DuckDbRequestChunks(); // one decode task's chunk holds both partitions
        foreach (var (position, evt) in Requests(partition: 0, from: 3_100, count: 10).Events.Concat(Requests(partition: 1, from: 2_500, count: 10).Events))
        {
            mixed.Add(position, (RequestEvent)evt);
        }
        kept.Advance(new SourcePosition("topic", 1, 2_509));
        var chunks = lostChunks.Concat(keptChunks).Append(mixed).ToList();
        var leaveOut = new Dictionary<(string Source, int Partition), (long First, long Last)> { [("topic", 0)] = (100, 3_109) };
        BatchWriteResult written;
        try
        {
            written = store.WriteWithRequestChunks(kept, chunks, leaveOut);
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }

        Assert.Equal(2_510, written.Requests);
        Assert.Equal(100, Count(store, "SELECT count(*) FROM requests WHERE source_partition = 0"));
        Assert.Equal(99, Count(store, "SELECT max(source_offset) FROM requests WHERE source_partition = 0"));
        Assert.Equal(2_510, Count(store, "SELECT count(DISTINCT source_offset) FROM requests WHERE source_partition = 1"));
        Assert.Equal(new Dictionary<int, long> { [0] = 100, [1] = 2_510 }, store.LoadOffsets("topic"));
    }

    [Fact]
    public void Chunks_starting_below_their_partitions_stored_offset_are_refused_and_nothing_of_the_batch_is_stored()
    {
        using var store = DuckDbEventStore.Open(Db("refused"));
        store.Write(Requests(partition: 0, from: 0, count: 100));
        var (rest, chunks) = Split(Requests(partition: 0, from: 50, count: 100), setSize: 100);
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => store.WriteWithRequestChunks(rest, chunks, NoneLeftOut));
            Assert.Contains("stored twice", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
        Assert.Equal(100, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(new Dictionary<int, long> { [0] = 100 }, store.LoadOffsets("topic"));
    }

    [Fact]
    public void A_failed_transaction_can_be_retried_with_the_same_chunks()
    {
        // DuckDB takes the chunks' vectors by reference: the insert of the failed attempt must leave them as they were.
        var batch = Requests(partition: 0, from: 0, count: 5_000);
        using (var peer = DuckDbEventStore.Open(Db("retry-peer")))
        {
            peer.Write(batch);
        }
        using var store = DuckDbEventStore.Open(Db("retry"));
        var (rest, chunks) = Split(batch, setSize: 2_500);
        try
        {
            store.Execute("ALTER TABLE ingest_offsets RENAME TO ingest_offsets_away");
            Assert.ThrowsAny<Exception>(() => store.WriteWithRequestChunks(rest, chunks, NoneLeftOut));
            Assert.Equal(0, Count(store, "SELECT count(*) FROM requests"));
            store.Execute("ALTER TABLE ingest_offsets_away RENAME TO ingest_offsets");
            Assert.Equal(5_000, store.WriteWithRequestChunks(rest, chunks, NoneLeftOut).Requests);
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
        Assert.Equal(5_000, Count(store, "SELECT count(DISTINCT source_offset) FROM requests"));
        Assert.Equal(new Dictionary<int, long> { [0] = 5_000 }, store.LoadOffsets("topic"));
        store.Execute($"ATTACH '{Db("retry-peer")}' AS peer (READ_ONLY)");
        Assert.Equal(0, Count(store, "SELECT count(*) FROM (SELECT * EXCLUDE (ingested_at) FROM requests EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM peer.requests)"));
        Assert.Equal(0, Count(store, "SELECT count(*) FROM (SELECT * EXCLUDE (ingested_at) FROM peer.requests EXCEPT ALL SELECT * EXCLUDE (ingested_at) FROM requests)"));
    }

    [Fact]
    public void Chunks_are_refused_with_a_clear_error_when_the_requests_table_does_not_have_their_columns()
    {
        using var store = DuckDbEventStore.Open(Db("schema"));
        var (rest, chunks) = Split(Requests(partition: 0, from: 0, count: 100), setSize: 100);
        try
        {
            store.Execute("ALTER TABLE requests ADD COLUMN added_by_hand INTEGER");
            var error = Assert.Throws<InvalidOperationException>(() => store.WriteWithRequestChunks(rest, chunks, NoneLeftOut));
            Assert.Contains("the database's schema does not match this version of LogAnalytics", error.Message, StringComparison.Ordinal);
            Assert.Contains("requests", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            chunks.ForEach(c => c.Dispose());
        }
        Assert.Equal(0, Count(store, "SELECT count(*) FROM requests"));
        Assert.Empty(store.LoadOffsets("topic"));
    }

    private static long Count(DuckDbEventStore store, string sql) => Convert.ToInt64(store.Scalar(sql), CultureInfo.InvariantCulture);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort
        }
    }
}
