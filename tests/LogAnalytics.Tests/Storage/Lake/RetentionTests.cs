using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Tests.Storage.Lake;

public sealed class RetentionTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan OneDay = TimeSpan.FromDays(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-retention-").FullName;
    private readonly DuckDbEventStore _store;
    private readonly DuckDBConnection _connection;
    private readonly CapturingLogger _log = new();
    private long _offset;

    public RetentionTests()
    {
        _store = DuckDbEventStore.Open(Path.Combine(_dir, "w.duckdb"));
        _connection = new DuckDBConnection($"Data Source={_store.DatabasePath}");
        _connection.Open();
    }

    private void Store(int partition, params (string Experiment, TimeSpan Age, string Kind)[] events)
    {
        var batch = new IngestBatch();
        foreach (var (experiment, age, kind) in events)
        {
            var ts = Now - age;
            TrafficEvent evt = kind switch
            {
                "stage" => new StageEvent { Timestamp = ts, Experiment = experiment, WeightPercent = 25 },
                "validation" => new ValidationEvent { Timestamp = ts, Experiment = experiment, RequestId = "v" + _offset },
                _ => new RequestEvent { Timestamp = ts, Experiment = experiment, Endpoint = "e", LatencyMs = 1, StatusCode = 200, RequestId = kind },
            };
            batch.Add(new SourcePosition("router-logs", partition, _offset++), DecodeResult.Accept(evt), null, null, ts);
        }
        _store.Write(batch);
    }

    private List<string> RequestIds()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT request_id FROM requests ORDER BY request_id";
        using var reader = cmd.ExecuteReader();
        var ids = new List<string>();
        while (reader.Read())
        {
            ids.Add(reader.GetString(0));
        }
        return ids;
    }

    private long Count(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    [Fact]
    public void An_open_seven_day_stage_keeps_its_whole_window_while_older_rows_in_the_lake_are_deleted()
    {
        static TimeSpan d(double days) => TimeSpan.FromDays(days);
        Store(0,
            ("long", d(7), "stage"), ("long", d(10), "long-10d"), ("long", d(6.9), "long-6.9d"), ("long", TimeSpan.FromHours(2), "long-2h"),
            ("long", d(9), "validation"), ("long", d(3), "validation"),
            ("short", d(10), "short-10d"), ("short", d(2), "short-2d"), ("short", TimeSpan.FromHours(1), "short-1h"),
            ("closed", d(20), "stage"), ("closed", TimeSpan.FromHours(3), "stage"), ("closed", d(5), "closed-5d"), ("closed", TimeSpan.FromHours(1), "closed-1h"));
        var lake = new LakeWriter(_connection, Path.Combine(_dir, "lake"), TimeSpan.FromMinutes(1));
        lake.Recover();
        lake.Flush(Now);
        // Stored after the lake's last flush: old, but not in the lake yet.
        Store(1, ("short", d(12), "short-12d-not-in-lake"));
        var retention = new Retention(_connection, OneDay, _log);

        Assert.Equal([("closed", Now - TimeSpan.FromHours(3)), ("long", Now - d(7))], retention.OpenWindows(Now));
        var deleted = retention.Run(Now, lake.DurableOffsets);

        Assert.Equal(["closed-1h", "long-2h", "long-6.9d", "short-12d-not-in-lake", "short-1h"], RequestIds());
        Assert.Equal(5, deleted); // long-10d, short-10d, short-2d, closed-5d and the 9-day validation
        Assert.Equal(1, Count(_connection, "SELECT count(*) FROM validations"));
        Assert.Equal(3, Count(_connection, "SELECT count(*) FROM stages"));
        var message = Assert.Single(_log.Messages, m => m.Contains("Storage:RetentionDays", StringComparison.Ordinal));
        Assert.Contains("Experiment long keeps its rows since 2026-11-17", message, StringComparison.Ordinal);
        using (var reader = LakeWriterTests.LakeReader(lake.Root))
        {
            Assert.Equal(8, Count(reader, "SELECT count(*) FROM requests")); // the lake keeps what the file let go
        }

        // Said once per stage, not at every run; nothing more to delete until the lake has the last row.
        Assert.Equal(0, retention.Run(Now, lake.DurableOffsets));
        Assert.Single(_log.Messages, m => m.Contains("Storage:RetentionDays", StringComparison.Ordinal));
        lake.Flush(Now);
        Assert.Equal(1, retention.Run(Now, lake.DurableOffsets));
        Assert.DoesNotContain("short-12d-not-in-lake", RequestIds());
    }

    [Fact]
    public void Without_a_lake_age_and_open_windows_alone_decide()
    {
        static TimeSpan d(double days) => TimeSpan.FromDays(days);
        Store(0, ("long", d(7), "stage"), ("long", d(8), "long-8d"), ("long", d(6), "long-6d"), ("long", TimeSpan.FromHours(1), "long-1h"));
        var retention = new Retention(_connection, OneDay, _log);

        Assert.Equal(1, retention.Run(Now, lakeOffsets: null));

        Assert.Equal(["long-1h", "long-6d"], RequestIds());
    }

    public void Dispose()
    {
        _connection.Dispose();
        _store.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private sealed class CapturingLogger : ILogger
    {
        public List<string> Messages { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Add(formatter(state, exception));
    }
}
