using System.IO.Compression;
using System.Text;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Ingestion.Replay;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using Xunit;

namespace LogAnalytics.Tests.Ingestion.Replay;

/// <summary>Replay's contract: every line stored once (idempotent by content hash and line number), bad lines
/// quarantined with their bytes, blank lines skipped, any line ending and length, plain or gzip.</summary>
public sealed class FileReplayerTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2025, 6, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("loganalytics-replay-test-").FullName;

    private string Db => Path.Combine(_dir, "replay.duckdb");

    private string WriteSynthetic(string name, int count, double malformed = 0, int seed = 3)
    {
        var path = Path.Combine(_dir, name);
        using var file = File.Create(path);
        new SyntheticRouter(new SyntheticRouterOptions { Start = Start, Seed = seed, MalformedFraction = malformed }).WriteNdjson(file, count);
        return path;
    }

    /// <summary>Events stored: requests, validation events (the synthetic canary's shadow comparisons) and stages.</summary>
    private static long Stored(DuckDbEventStore store) =>
        Count(store, "SELECT count(*) FROM requests") + Count(store, "SELECT count(*) FROM validations") + Count(store, "SELECT count(*) FROM stages");

    private static ReplayProgress Replay(DuckDbEventStore store, string path, int batchLines = 1_000) =>
        new FileReplayer(store, new EventDecoder()) { BatchLines = batchLines }.Replay(path);

    [Fact]
    public void Replaying_a_file_twice_stores_it_once()
    {
        var path = WriteSynthetic("a.ndjson", 5_000, malformed: 0.02);
        using var store = DuckDbEventStore.Open(Db);

        var first = Replay(store, path);
        var second = Replay(store, path);

        Assert.Equal(5_000, first.Lines);
        Assert.Equal(5_000, first.Stored + first.Quarantined);
        Assert.InRange(first.Quarantined, 50, 160);
        Assert.Equal(0, second.Stored + second.Quarantined);
        Assert.Equal(5_000, second.Skipped);
        Assert.Equal(4_999 - first.Quarantined + 1, Stored(store));
        Assert.Equal(first.Quarantined, Count(store, "SELECT count(*) FROM quarantine"));
        Assert.Equal(5_000, Count(store, "SELECT count(DISTINCT source_offset) FROM (SELECT source_offset FROM requests UNION ALL SELECT source_offset FROM validations UNION ALL SELECT source_offset FROM stages UNION ALL SELECT source_offset FROM quarantine)"));
    }

    /// <summary>The reader reuses one block's buffers for the next: rows and quarantined bytes stored from many small
    /// blocks (each overwriting the last one's lines), or from transactions written in many small parts, equal those
    /// stored from one block holding the whole file.</summary>
    [Theory]
    [InlineData(7, 16_384)] // many transactions of one part each
    [InlineData(1_000, 3)]  // transactions of many parts
    public void Blocks_of_any_size_store_the_same_rows_and_quarantined_bytes(int batchLines, int partLines)
    {
        var path = WriteSynthetic("blocks.ndjson", 4_000, malformed: 0.05, seed: 11);
        var manyDb = Path.Combine(_dir, "many.duckdb");
        var oneDb = Path.Combine(_dir, "one.duckdb");
        using (var many = DuckDbEventStore.Open(manyDb))
        {
            Assert.Equal(4_000, new FileReplayer(many, new EventDecoder()) { BatchLines = batchLines, PartLines = partLines }.Replay(path).Lines);
        }
        using (var one = DuckDbEventStore.Open(oneDb))
        {
            Assert.Equal(4_000, new FileReplayer(one, new EventDecoder()) { BatchLines = 100_000 }.Replay(path).Lines);
        }

        using var store = DuckDbEventStore.Open(Path.Combine(_dir, "compare.duckdb"));
        store.Execute($"ATTACH '{manyDb}' AS many (READ_ONLY); ATTACH '{oneDb}' AS one (READ_ONLY)");
        Assert.InRange(Count(store, "SELECT count(*) FROM one.quarantine WHERE raw IS NOT NULL"), 100, 400);
        foreach (var (table, columns) in new[]
        {
            ("requests", "* EXCLUDE (ingested_at)"),
            ("validations", "* EXCLUDE (ingested_at)"),
            ("quarantine", "source_offset, reason, detail, raw"),
        })
        {
            Assert.True(Count(store, $"SELECT count(*) FROM one.{table}") > 0, table);
            Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {columns} FROM many.{table} EXCEPT ALL SELECT {columns} FROM one.{table})"));
            Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {columns} FROM one.{table} EXCEPT ALL SELECT {columns} FROM many.{table})"));
        }
    }

    /// <summary>Lines over 64 KiB end a block at <see cref="FileReplayer.BatchLongLineBytes"/> of them, whatever
    /// <see cref="FileReplayer.BatchBytes"/> allows (their kept bytes would otherwise pile up in large blocks).</summary>
    [Theory]
    [InlineData(250 << 10, new long[] { 3, 6, 9, 9, 9 })] // three 100 KiB lines pass 250 KiB: a transaction each three (and the
                                                           // file's end, with nothing left, one more)
    [InlineData(32 << 20, new long[] { 9, 9 })]        // the default: all nine in one
    public void Long_lines_end_a_block_at_their_own_byte_bound(int longLineBytes, long[] linesAtEachReport)
    {
        var path = Path.Combine(_dir, "long-lines.ndjson");
        File.WriteAllLines(path, Enumerable.Range(0, 9).Select(i =>
            $$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"legacy","status_code":200,"latency_ms":{{i}},"note":"{{new string('x', 100 << 10)}}"}"""));
        using var store = DuckDbEventStore.Open(Db);
        var reports = new List<long>();

        var result = new FileReplayer(store, new EventDecoder()) { BatchLongLineBytes = longLineBytes }
            .Replay(path, new InlineProgress(p => reports.Add(p.Lines)));

        Assert.Equal(9, result.Stored);
        Assert.Equal(linesAtEachReport, reports);
    }

    [Fact]
    public void A_replay_resumes_after_the_lines_already_stored()
    {
        var full = WriteSynthetic("full.ndjson", 3_000);
        var lines = File.ReadAllLines(full);
        using var store = DuckDbEventStore.Open(Db);
        // Same content hash, so a file identical to one partly stored: simulate the partial run with a cancelled replay.
        using (var cts = new CancellationTokenSource())
        {
            var replayer = new FileReplayer(store, new EventDecoder()) { BatchLines = 500 };
            var reports = 0;
            try
            {
                replayer.Replay(full, new InlineProgress(_ =>
                {
                    if (++reports == 2)
                    {
                        cts.Cancel();
                    }
                }), cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        var partial = Stored(store);
        Assert.InRange(partial, 1, 2_999);

        var rest = Replay(store, full, batchLines: 500);

        Assert.Equal(3_000, Stored(store));
        Assert.Equal(lines.Length, rest.Lines);
        Assert.Equal(3_000 - partial, rest.Stored);
        Assert.Equal(partial, rest.Skipped);
    }

    /// <summary>A transaction is handed over in parts: a replay stopped while parts of its second transaction were
    /// already decoded and inserted stores none of them (only whole transactions), and resuming stores every line once.</summary>
    [Fact]
    public void A_replay_stopped_inside_a_transaction_keeps_only_whole_transactions_and_resumes_exactly()
    {
        var full = WriteSynthetic("parts.ndjson", 3_000);
        using var store = DuckDbEventStore.Open(Db);
        using var cts = new CancellationTokenSource();
        // Stopped after 150 parts of 10 lines: the first transaction (100 parts) is committed, half of the second appended.
        var replayer = new FileReplayer(store, new EventDecoder())
        {
            BatchLines = 1_000, PartLines = 10,
            PartAppended = parts => { if (parts == 150) { cts.Cancel(); } },
        };
        Assert.Throws<OperationCanceledException>(() => replayer.Replay(full, null, cts.Token));
        // Parts are decoded on DuckDB's two threads: the other one may finish the part it had taken when the first
        // one stopped the replay.
        Assert.InRange(replayer.LastTimings.PartsAppended, 150, 151);
        Assert.Equal(1_000L, store.Scalar("SELECT next_offset FROM ingest_offsets WHERE source LIKE 'file:%'"));
        Assert.Equal(1_000, Stored(store) + Count(store, "SELECT count(*) FROM quarantine"));
        Assert.Equal(999, Count(store, "SELECT max(source_offset) FROM (SELECT source_offset FROM requests UNION ALL SELECT source_offset FROM validations UNION ALL SELECT source_offset FROM stages UNION ALL SELECT source_offset FROM quarantine)"));

        var rest = Replay(store, full, batchLines: 1_000);

        Assert.Equal(1_000, rest.Skipped);
        Assert.Equal(2_000, rest.Stored + rest.Quarantined);
        Assert.Equal(3_000, Stored(store) + Count(store, "SELECT count(*) FROM quarantine"));
        Assert.Equal(3_000, Count(store, "SELECT count(DISTINCT source_offset) FROM (SELECT source_offset FROM requests UNION ALL SELECT source_offset FROM validations UNION ALL SELECT source_offset FROM stages UNION ALL SELECT source_offset FROM quarantine)"));
    }

    [Fact]
    public void Quarantine_keeps_the_exact_bytes_and_the_line_number()
    {
        var path = Path.Combine(_dir, "mixed.ndjson");
        var good = """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"legacy","latency_ms":5,"status_code":200}""";
        // With a byte order mark, as Windows editors write: it must not cost the first line.
        File.WriteAllText(path, good + "\r\n\r\n   \n" + "{\"broken\": \r\n" + good + "\n" + "[1]", new UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        using var store = DuckDbEventStore.Open(Db);

        var result = Replay(store, path);

        Assert.Equal(6, result.Lines);
        Assert.Equal(2, result.Stored);
        Assert.Equal(2, result.Quarantined);
        Assert.Equal(new long[] { 0, 4 }, Column<long>(store, "SELECT source_offset FROM requests ORDER BY 1"));
        Assert.Equal(new long[] { 3, 5 }, Column<long>(store, "SELECT source_offset FROM quarantine ORDER BY 1"));
        Assert.Equal(new[] { "{\"broken\": ", "[1]" }, Column<string>(store, "SELECT decode(raw) FROM quarantine ORDER BY source_offset"));
    }

    [Fact]
    public void Lines_longer_than_the_read_buffer_and_gzip_files_replay_like_any_other()
    {
        var padding = new string('x', 3 << 20);
        var line = $$"""{"timestamp":"2025-06-01T10:00:00Z","endpoint":"legacy","latency_ms":5,"status_code":200,"pad":"{{padding}}"}""";
        var path = Path.Combine(_dir, "long.ndjson.gz");
        using (var gz = new GZipStream(File.Create(path), CompressionLevel.Fastest))
        using (var writer = new StreamWriter(gz, new UTF8Encoding(false)))
        {
            writer.Write(line + "\n" + line + "\n" + line); // the last line has no newline
        }
        using var store = DuckDbEventStore.Open(Db);

        // Lines of 3 MB: over the default Ingestion:MaxMessageBytes (1 MiB), so the limit is raised for this test.
        var result = new FileReplayer(store, new EventDecoder(maxMessageBytes: 8 << 20)) { BatchLines = 2 }.Replay(path);

        Assert.Equal(3, result.Stored);
        Assert.Equal(3, Count(store, $"SELECT count(*) FROM requests WHERE length(attributes) = {padding.Length + 10}"));
    }

    private static long Count(DuckDbEventStore store, string sql) => Convert.ToInt64(store.Scalar(sql), System.Globalization.CultureInfo.InvariantCulture);

    private static List<T> Column<T>(DuckDbEventStore store, string sql)
    {
        using var cmd = store.Connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var values = new List<T>();
        while (reader.Read())
        {
            values.Add(reader.GetFieldValue<T>(0));
        }
        return values;
    }

    private sealed class InlineProgress(Action<ReplayProgress> report) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) => report(value);
    }

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
    }
}
