using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;

namespace LogAnalytics.Tests.Storage.Lake;

public sealed class LakeWriterTests : IDisposable
{
    internal static readonly DateTimeOffset Hour10 = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan SealAfter = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-lake-").FullName;
    private readonly DuckDbEventStore _store;
    private readonly DuckDBConnection _connection;

    public LakeWriterTests()
    {
        _store = DuckDbEventStore.Open(Path.Combine(_dir, "w.duckdb"));
        _connection = new DuckDBConnection($"Data Source={_store.DatabasePath}");
        _connection.Open();
    }

    private string LakeRoot => Path.Combine(_dir, "w.lake");

    private LakeWriter NewWriter()
    {
        var writer = new LakeWriter(_connection, LakeRoot, SealAfter);
        writer.Recover();
        return writer;
    }

    internal static IngestBatch Batch(string topic, int partition, long from, int count, Func<long, DateTimeOffset> ts, Func<long, string?>? experiment = null)
    {
        var batch = new IngestBatch();
        for (var o = from; o < from + count; o++)
        {
            var position = new SourcePosition(topic, partition, o);
            var e = experiment is null ? "exp-a" : experiment(o);
            DecodeResult result = (o % 10) switch
            {
                7 => DecodeResult.Accept(new ValidationEvent { Timestamp = ts(o), Experiment = e, RequestId = $"r{o}", ContentMatch = true }),
                8 => DecodeResult.Reject("not_json", "line is not JSON"),
                9 when o % 100 == 99 => DecodeResult.Accept(new StageEvent { Timestamp = ts(o), Experiment = e, WeightPercent = 10 }),
                _ => DecodeResult.Accept(new RequestEvent
                {
                    Timestamp = ts(o), Experiment = e, Endpoint = o % 2 == 0 ? "base" : "canary", LatencyMs = 100 + (o % 37),
                    StatusCode = o % 13 == 0 ? 504 : 200, RequestId = $"r{o}", Model = "gpt-4.1",
                }),
            };
            batch.Add(position, result, null, "{}"u8.ToArray(), ts(o));
        }
        return batch;
    }

    private long Scalar(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>A reader of the lake, as an analyst opens it: a DuckDB of its own with sql/lake/views.sql.</summary>
    internal static DuckDBConnection LakeReader(string lakeRoot)
    {
        var reader = new DuckDBConnection("Data Source=:memory:");
        reader.Open();
        using var cmd = reader.CreateCommand();
        cmd.CommandText = $"SET VARIABLE lake = '{lakeRoot.Replace("'", "''", StringComparison.Ordinal)}';\n" + SqlScripts.Load("lake/views.sql");
        cmd.ExecuteNonQuery();
        return reader;
    }

    private void AssertLakeEqualsDatabase()
    {
        using var reader = LakeReader(LakeRoot);
        foreach (var table in new[] { "requests", "validations", "stages", "quarantine" })
        {
            var stored = Scalar(_connection, $"SELECT count(*) FROM {table}");
            Assert.True(stored > 0, $"{table} has rows to compare");
            Assert.Equal(stored, Scalar(reader, $"SELECT count(*) FROM {table}"));
            // Every position once, also without the views' de-duplication.
            Assert.Equal(stored, Scalar(reader, $"SELECT count(*) FROM read_parquet('{LakeRoot}/{table}/**/*.parquet', hive_partitioning = false)"));
            Assert.Equal(stored, Scalar(reader, $"SELECT count(DISTINCT (source, source_partition, source_offset)) FROM {table}"));
        }
    }

    private List<string> DataFiles() => Directory.EnumerateFiles(LakeRoot, "*.parquet", SearchOption.AllDirectories)
        .Where(p => Path.GetFileName(p) != LakeWriter.EmptyFileName)
        .Select(p => Path.GetRelativePath(LakeRoot, p)).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public void Each_row_lands_in_the_folder_of_its_own_UTC_hour_at_the_hour_boundaries_and_before_1970()
    {
        DateTimeOffset[] times =
        [
            Hour10.AddTicks(-10), // 09:59:59.999999
            Hour10,
            Hour10.AddHours(1).AddTicks(-10),
            new(1969, 12, 31, 23, 30, 0, TimeSpan.Zero),
            new DateTimeOffset(1970, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(-10), // the last microsecond before the epoch
            new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero),
            new(2026, 11, 24, 23, 59, 59, TimeSpan.Zero),
        ];
        _store.Write(Batch("router-logs", 0, 0, times.Length, o => times[o]));
        NewWriter().Flush(Hour10.AddHours(2));

        using var reader = LakeReader(LakeRoot);
        using var cmd = reader.CreateCommand();
        cmd.CommandText = $"SELECT source_offset, filename FROM read_parquet('{LakeRoot}/requests/**/*.parquet', filename = true) ORDER BY 1";
        using var rows = cmd.ExecuteReader();
        var seen = 0;
        while (rows.Read())
        {
            var t = times[rows.GetInt64(0)].UtcDateTime;
            var folder = Path.Combine($"date={t:yyyy-MM-dd}", $"hour={t.Hour}") + Path.DirectorySeparatorChar;
            Assert.Contains(folder, rows.GetString(1), StringComparison.Ordinal);
            seen++;
        }
        Assert.Equal(times.Length, seen);
    }

    [Fact]
    public void A_flush_writes_every_stored_row_once_into_hive_folders_named_by_source_range()
    {
        _store.Write(Batch("router-logs", 0, 0, 300, o => Hour10.AddMinutes(o % 90), o => o % 3 == 0 ? null : "exp-a"));
        _store.Write(Batch("router-logs", 2, 1000, 200, o => Hour10.AddMinutes(o % 50)));
        var writer = NewWriter();

        var first = writer.Flush(Hour10.AddHours(2));

        Assert.Equal(500, first.Rows);
        AssertLakeEqualsDatabase();
        var files = DataFiles();
        Assert.Contains(Path.Combine("requests", "experiment=exp-a", "date=2026-11-24", "hour=10", "router-logs+2+0000000000000000000-0000000000000001199.parquet"), files);
        Assert.Contains(Path.Combine("requests", "experiment=default", "date=2026-11-24", "hour=11", "router-logs+0+0000000000000000000-0000000000000000299.parquet"), files);
        Assert.Contains(Path.Combine("quarantine", "date=2026-11-24", "hour=10", "router-logs+0+0000000000000000000-0000000000000000299.parquet"), files);
        Assert.Equal(300, writer.DurableOffsets[("router-logs", 0)]);
        Assert.Equal(1200, writer.DurableOffsets[("router-logs", 2)]);
        Assert.Equal(writer.DurableOffsets.OrderBy(kv => kv.Key), LakeWriter.ReadDurableOffsets(LakeRoot).OrderBy(kv => kv.Key));

        Assert.Equal(0, writer.Flush(Hour10.AddHours(2)).Rows);
        Assert.Equal(files, DataFiles());

        _store.Write(Batch("router-logs", 0, 300, 100, o => Hour10.AddMinutes(70)));
        Assert.Equal(100, writer.Flush(Hour10.AddHours(2)).Rows);
        AssertLakeEqualsDatabase();
        Assert.Contains(Path.Combine("requests", "experiment=exp-a", "date=2026-11-24", "hour=11", "router-logs+0+0000000000000000300-0000000000000000399.parquet"), DataFiles());
    }

    [Fact]
    public void A_crash_after_some_files_are_in_place_rewrites_the_same_range_under_the_same_names()
    {
        _store.Write(Batch("router-logs", 1, 0, 400, o => Hour10.AddMinutes(o % 120)));
        var crashed = NewWriter();
        crashed.Flush(Hour10);
        _store.Write(Batch("router-logs", 1, 400, 400, o => Hour10.AddMinutes(o % 120)));
        // Crash between the data files and the marker of range 400-799: the files are in place, the marker is not.
        crashed.Flush(Hour10);
        var marker = Path.Combine(LakeRoot, LakeWriter.OffsetsFolder, "router-logs+1+0000000000000000400-0000000000000000799");
        Assert.True(File.Exists(marker));
        File.Move(marker, Path.Combine(LakeRoot, LakeWriter.OffsetsFolder, "router-logs+1+0000000000000000000-0000000000000000399"));
        var beforeCrash = DataFiles();
        Assert.Contains(beforeCrash, f => f.EndsWith("router-logs+1+0000000000000000400-0000000000000000799.parquet", StringComparison.Ordinal));
        // More rows arrive while the worker is down and after it restarts.
        _store.Write(Batch("router-logs", 1, 800, 100, o => Hour10.AddMinutes(o % 120)));

        var restarted = NewWriter();
        Assert.Equal(400, restarted.DurableOffsets[("router-logs", 1)]);
        restarted.Flush(Hour10);

        AssertLakeEqualsDatabase();
        var after = DataFiles();
        Assert.Empty(beforeCrash.Except(after)); // the same names, rewritten
        Assert.Contains(after, f => f.EndsWith("router-logs+1+0000000000000000800-0000000000000000899.parquet", StringComparison.Ordinal));
        Assert.Equal(900, LakeWriter.ReadDurableOffsets(LakeRoot)[("router-logs", 1)]);
    }

    [Fact]
    public void Compaction_of_a_sealed_hour_never_lets_a_reader_count_a_row_twice_and_late_events_are_kept()
    {
        var writer = NewWriter();
        for (var i = 0; i < 4; i++)
        {
            _store.Write(Batch("router-logs", 0, i * 100, 100, o => Hour10.AddMinutes(o % 60)));
            _store.Write(Batch("router-logs", 1, i * 100, 100, o => Hour10.AddMinutes(o % 60)));
            writer.Flush(Hour10.AddMinutes(10 * i));
        }
        var folder = Path.Combine(LakeRoot, "requests", "experiment=exp-a", "date=2026-11-24", "hour=10");
        Assert.Equal(8, Directory.GetFiles(folder).Length);
        Assert.Equal(0, writer.CompactSealedHours(Hour10.AddMinutes(59))); // not sealed yet

        var seenDuringSwap = 0;
        writer.AfterCompactedFileVisible = compacted =>
        {
            if (!compacted.StartsWith(folder, StringComparison.Ordinal))
            {
                return; // validations and stages of the hour are compacted too; this reader counts requests
            }
            using var reader = LakeReader(LakeRoot);
            var raw = Scalar(reader, $"SELECT count(*) FROM read_parquet('{LakeRoot}/requests/**/*.parquet')");
            var viewed = Scalar(reader, "SELECT count(*) FROM requests");
            var stored = Scalar(_connection, "SELECT count(*) FROM requests");
            Assert.True(raw > stored, $"the compacted file and the files it replaces are both listed at this moment: raw {raw}, stored {stored}, files {string.Join(",", Directory.GetFiles(folder).Select(Path.GetFileName))}");
            Assert.Equal(stored, viewed);
            seenDuringSwap++;
        };
        var replaced = writer.CompactSealedHours(Hour10.AddHours(2));

        Assert.True(seenDuringSwap >= 2);
        Assert.True(replaced >= 8);
        Assert.Equal(
            ["router-logs+0+0000000000000000000-0000000000000000399.parquet", "router-logs+1+0000000000000000000-0000000000000000399.parquet"],
            Directory.GetFiles(folder).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal).ToArray());
        writer.AfterCompactedFileVisible = null;
        AssertLakeEqualsDatabase();

        // A late event for the sealed hour goes into a new file of that hour, then is compacted with it.
        _store.Write(Batch("router-logs", 0, 400, 5, _ => Hour10.AddMinutes(30)));
        writer.Flush(Hour10.AddHours(3));
        Assert.Contains("router-logs+0+0000000000000000400-0000000000000000404.parquet", Directory.GetFiles(folder).Select(Path.GetFileName));
        AssertLakeEqualsDatabase();
        writer.CompactSealedHours(Hour10.AddHours(4));
        Assert.Contains("router-logs+0+0000000000000000000-0000000000000000404.parquet", Directory.GetFiles(folder).Select(Path.GetFileName));
        Assert.Equal(2, Directory.GetFiles(folder).Length);
        AssertLakeEqualsDatabase();

        // A crash between the compacted file and the deletes leaves both: the next start removes the covered files.
        File.Copy(Path.Combine(folder, "router-logs+0+0000000000000000000-0000000000000000404.parquet"),
            Path.Combine(folder, "router-logs+0+0000000000000000100-0000000000000000199.parquet"));
        var restarted = NewWriter();
        restarted.CompactSealedHours(Hour10.AddHours(5));
        Assert.Equal(2, Directory.GetFiles(folder).Length);
        AssertLakeEqualsDatabase();
    }

    [Fact]
    public void Sql_queries_give_the_same_answers_on_the_lake_as_on_the_worker_database()
    {
        _store.Write(Batch("router-logs", 0, 0, 500, o => Hour10.AddMinutes(o % 150)));
        _store.Write(Batch("router-logs", 1, 0, 500, o => Hour10.AddMinutes(o % 150)));
        NewWriter().Flush(Hour10);
        using var lake = LakeReader(LakeRoot);

        foreach (var query in new[] { "queries/experiment_window_requests.sql", "queries/current_stage.sql", "queries/experiments_seen.sql" })
        {
            var sql = "SELECT * FROM (" + SqlScripts.Load(query).Trim().TrimEnd(';') + ") ORDER BY ALL";
            Assert.Equal(Rows(_connection, sql), Rows(lake, sql));
        }
        Assert.NotEmpty(Rows(lake, "SELECT * FROM (" + SqlScripts.Load("queries/experiment_window_requests.sql").Trim().TrimEnd(';') + ")"));
    }

    [Fact]
    public void Verdicts_reach_the_lake_once_they_are_a_minute_old_and_verdict_history_reads_the_same()
    {
        void Verdict(string experiment, DateTimeOffset at, string decision)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO verdicts VALUES ($e, $t, $d, 10, 25, $t, $v)";
            cmd.Parameters.Add(new DuckDBParameter("e", experiment));
            cmd.Parameters.Add(new DuckDBParameter("t", at));
            cmd.Parameters.Add(new DuckDBParameter("d", decision));
            cmd.Parameters.Add(new DuckDBParameter("v", $"{{\"decision\":\"{decision}\",\"reasons\":[\"because {at:HH:mm}\"]}}"));
            cmd.ExecuteNonQuery();
        }
        for (var i = 0; i < 6; i++)
        {
            Verdict(i % 2 == 0 ? "exp-a" : "exp-b", Hour10.AddMinutes(50 + i * 5), i < 5 ? "wait" : "go");
        }
        var writer = NewWriter();

        writer.Flush(Hour10.AddMinutes(75.5)); // the verdict of 11:15 is less than a minute old
        using (var reader = LakeReader(LakeRoot))
        {
            Assert.Equal(5, Scalar(reader, "SELECT count(*) FROM verdicts"));
        }
        writer.Flush(Hour10.AddMinutes(80));
        writer.CompactSealedHours(Hour10.AddHours(3));
        Verdict("exp-a", Hour10.AddMinutes(100), "go");
        var restarted = NewWriter();
        restarted.Flush(Hour10.AddHours(3));

        using var lake = LakeReader(LakeRoot);
        Assert.Equal(7, Scalar(lake, "SELECT count(*) FROM verdicts"));
        var history = SqlScripts.Load("queries/verdict_history.sql");
        Assert.Equal(Rows(_connection, history), Rows(lake, history));
        Assert.Contains(Directory.EnumerateFiles(Path.Combine(LakeRoot, "verdicts", "experiment=exp-b", "date=2026-11-24", "hour=11")),
            f => Path.GetFileName(f).StartsWith("verdicts%3Aevaluated_at+0+", StringComparison.Ordinal));
    }

    [Fact]
    public void A_writer_starting_on_a_shared_lake_leaves_other_workers_files_in_progress_alone()
    {
        var other = new LakeWriter(_connection, LakeRoot, SealAfter, LakeWriter.WriterIdFor("/data/b/worker.duckdb"));
        other.Recover();
        var inProgress = Path.Combine(LakeRoot, LakeWriter.TempFolder, LakeWriter.WriterIdFor("/data/b/worker.duckdb"), ".copy.parquet");
        File.WriteAllBytes(inProgress, [1, 2, 3]);
        var ownLeftover = Path.Combine(LakeRoot, LakeWriter.TempFolder, LakeWriter.WriterIdFor("/data/a/worker.duckdb"), ".crashed.parquet");
        Directory.CreateDirectory(Path.GetDirectoryName(ownLeftover)!);
        File.WriteAllBytes(ownLeftover, [1]);

        new LakeWriter(_connection, LakeRoot, SealAfter, LakeWriter.WriterIdFor("/data/a/worker.duckdb")).Recover();

        Assert.True(File.Exists(inProgress));
        Assert.False(File.Exists(ownLeftover));
        Assert.NotEqual(LakeWriter.WriterIdFor("/data/a/worker.duckdb"), LakeWriter.WriterIdFor("/data/b/worker.duckdb"));
        Assert.Equal(LakeWriter.WriterIdFor("/data/a/worker.duckdb"), LakeWriter.WriterIdFor("/data/a/../a/worker.duckdb"));
    }

    private static List<string> Rows(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Parameters.Add(new DuckDBParameter("experiment", "exp-a"));
        cmd.Parameters.Add(new DuckDBParameter("window_from", Hour10.AddMinutes(20)));
        cmd.Parameters.Add(new DuckDBParameter("as_of", Hour10.AddMinutes(140)));
        cmd.Parameters.Add(new DuckDBParameter("baseline_endpoint", "base"));
        cmd.Parameters.Add(new DuckDBParameter("canary_endpoint", "canary"));
        foreach (var unused in cmd.Parameters.Cast<DuckDBParameter>().Where(p => !sql.Contains("$" + p.ParameterName, StringComparison.Ordinal)).ToList())
        {
            cmd.Parameters.Remove(unused);
        }
        using var reader = cmd.ExecuteReader();
        var rows = new List<string>();
        while (reader.Read())
        {
            rows.Add(string.Join("|", Enumerable.Range(0, reader.FieldCount).Select(i => Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture))));
        }
        return rows;
    }

    public void Dispose()
    {
        _connection.Dispose();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
