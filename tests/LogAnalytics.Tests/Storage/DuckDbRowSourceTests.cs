using System.Collections.Concurrent;
using System.Globalization;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Storage;

/// <summary>
/// Replay stores requests through DuckDB's own parallel insert, from a table function whose chunks managed code fills
/// on DuckDB's threads (<see cref="DuckDbRowSource"/>). The rows must be exactly those the appender stores for the same
/// events (the appender is checked against DuckDB.NET's own in <see cref="DuckDbChunkAppenderTests"/>); a producer's
/// failure must surface as itself and leave nothing stored.
/// </summary>
public sealed class DuckDbRowSourceTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-rowsource-").FullName;

    private string Db => Path.Combine(_dir, "t.duckdb");

    /// <summary>Hands out requests from a shared queue to whichever of DuckDB's threads asks.</summary>
    private sealed class QueueProducer(IEnumerable<(SourcePosition Position, RequestEvent Request)> rows, DateTimeOffset now, int failAfter = -1) : IDuckDbRowProducer
    {
        private readonly ConcurrentQueue<(SourcePosition Position, RequestEvent Request)> _rows = new(rows);
        private int _threads;
        private int _produced;

        public int Threads => _threads;

        public object CreateThreadState()
        {
            Interlocked.Increment(ref _threads);
            return new object();
        }

        public void Fill(object threadState, DuckDbChunkWriter writer)
        {
            while (!writer.IsFull && _rows.TryDequeue(out var row))
            {
                if (Interlocked.Increment(ref _produced) == failAfter)
                {
                    throw new InvalidDataException($"the producer failed at row {failAfter}");
                }
                DuckDbEventRows.Request(writer, row.Position, row.Request, now);
            }
        }
    }

    private static List<(SourcePosition, RequestEvent)> Requests(IngestBatch batch) =>
        batch.Events.Where(e => e.Event is RequestEvent).Select(e => (e.Position, (RequestEvent)e.Event)).ToList();

    [Fact]
    public void Rows_inserted_from_DuckDBs_threads_equal_the_appenders_rows_for_the_same_events()
    {
        var batch = DuckDbChunkAppenderTests.RandomBatch(seed: 5, from: 0, count: 20_000);
        var requests = Requests(batch);
        using var store = DuckDbEventStore.Open(Db);
        store.Write(batch); // the appender's rows, the peer
        store.Execute("CREATE TABLE requests_parallel AS FROM requests LIMIT 0");
        var producer = new QueueProducer(requests, DateTimeOffset.UtcNow);

        long inserted;
        using (DuckDbRowSource.InsertionOrder(store.Connection))
        {
            inserted = DuckDbRowSource.InsertInto(store.Connection, "requests_parallel", producer, threads: 2);
        }

        Assert.Equal(requests.Count, inserted);
        Assert.True(requests.Count > 5 * 2048, "requests span several chunks");
        Assert.Equal(inserted, Count(store, "SELECT count(*) FROM requests_parallel"));
        const string Columns = "* EXCLUDE (ingested_at)";
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {Columns} FROM requests EXCEPT ALL SELECT {Columns} FROM requests_parallel)"));
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {Columns} FROM requests_parallel EXCEPT ALL SELECT {Columns} FROM requests)"));
        // The JSON column kept its type: nothing was cast on the way in.
        Assert.Equal("JSON", store.Scalar("SELECT data_type FROM information_schema.columns WHERE table_name = 'requests_parallel' AND column_name = 'attributes'"));
        // Insertion order is the database's setting again once the replay's scope ends.
        Assert.Equal(true, store.Scalar("SELECT current_setting('preserve_insertion_order')"));
    }

    [Fact]
    public void The_insert_runs_on_DuckDBs_threads_only_with_insertion_order_off()
    {
        var batch = DuckDbChunkAppenderTests.RandomBatch(seed: 6, from: 0, count: 20_000);
        using var store = DuckDbEventStore.Open(Db);
        store.Execute("SET threads = 2");
        var ordered = new QueueProducer(Requests(batch), DateTimeOffset.UtcNow);
        DuckDbRowSource.InsertInto(store.Connection, "requests", ordered, threads: 2);
        var parallel = new QueueProducer(Requests(batch), DateTimeOffset.UtcNow);
        using (DuckDbRowSource.InsertionOrder(store.Connection))
        {
            DuckDbRowSource.InsertInto(store.Connection, "requests", parallel, threads: 2);
        }

        Assert.Equal(1, ordered.Threads);
        Assert.Equal(2, parallel.Threads);
    }

    [Fact]
    public void A_producer_that_fails_surfaces_its_own_exception_and_its_transaction_stores_nothing()
    {
        var batch = DuckDbChunkAppenderTests.RandomBatch(seed: 8, from: 0, count: 20_000);
        using var store = DuckDbEventStore.Open(Db);
        using (DuckDbRowSource.InsertionOrder(store.Connection))
        {
            using (var transaction = store.BeginWrite())
            {
                var failing = new QueueProducer(Requests(batch), transaction.Now, failAfter: 7_000);
                var error = Assert.Throws<InvalidDataException>(() => transaction.InsertRequests(failing, threads: 2));
                Assert.Equal("the producer failed at row 7000", error.Message);
                Assert.Throws<InvalidOperationException>(() => transaction.Commit()); // unusable after a failed write
            }
            Assert.Equal(0, Count(store, "SELECT count(*) FROM requests"));

            // The store is usable again: the next transaction stores the rows and their offsets.
            using (var transaction = store.BeginWrite())
            {
                var rows = Requests(batch);
                Assert.Equal(rows.Count, transaction.InsertRequests(new QueueProducer(rows, transaction.Now), threads: 2));
                var offsets = new IngestBatch();
                offsets.Advance(new SourcePosition("topic", 0, 19_998));
                offsets.Advance(new SourcePosition("topic", 1, 19_999));
                transaction.Append(offsets);
                transaction.Commit();
                Assert.Equal(rows.Count, Count(store, "SELECT count(*) FROM requests"));
            }
        }
        Assert.Equal(20_000L, store.LoadOffsets("topic")[1]);
    }

    [Fact]
    public void The_table_function_called_from_SQL_says_it_is_only_for_LogAnalytics_own_inserts()
    {
        using var store = DuckDbEventStore.Open(Db);
        using (store.BeginWrite())
        {
            // registered with the first transaction
        }
        var error = Assert.ThrowsAny<Exception>(() => store.Scalar($"SELECT count(*) FROM {DuckDbRowSource.FunctionName}(42)"));
        Assert.Contains("only for LogAnalytics' own inserts", error.Message, StringComparison.Ordinal);
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
        }
    }
}
