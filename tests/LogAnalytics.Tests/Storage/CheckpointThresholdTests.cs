using System.Globalization;
using LogAnalytics.Storage;
using LogAnalytics.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Tests.Storage;

/// <summary><c>Storage:CheckpointThresholdMiB</c> reaches the DuckDB instance of the worker's store (read back from DuckDB
/// itself) and does what it says: DuckDB lets the write-ahead log grow to it before checkpointing. A bad value stops
/// start-up, and replay, naming the key.</summary>
public sealed class CheckpointThresholdTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-checkpoint-").FullName;

    private ServiceProvider Services(string file, params (string Key, string Value)[] settings) =>
        StorageSettings.Services(Path.Combine(_dir, file), settings);

    private static string Scalar(DuckDB.NET.Data.DuckDBConnection connection, string sql) => StorageSettings.Scalar(connection, sql);

    private static string DuckDbDefault()
    {
        using var fresh = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"); // a database nobody configured
        fresh.Open();
        return Scalar(fresh, "SELECT current_setting('checkpoint_threshold')");
    }

    [Fact]
    public void The_worker_store_checkpoints_at_32_MiB_by_default_on_every_connection()
    {
        using var services = Services("w.duckdb");
        var provider = services.GetRequiredService<EventStoreProvider>();

        Assert.Equal(32, services.GetRequiredService<IOptions<StorageOptions>>().Value.CheckpointThresholdMiB);
        Assert.Equal("32.0 MiB", Scalar(provider.Store.Connection, "SELECT current_setting('checkpoint_threshold')"));
        using var lakeConnection = provider.OpenConnection(); // the lake and retention's connection: the same instance
        Assert.Equal("32.0 MiB", Scalar(lakeConnection, "SELECT current_setting('checkpoint_threshold')"));
        Assert.NotEqual("32.0 MiB", DuckDbDefault());
    }

    [Fact]
    public void A_configured_threshold_is_what_DuckDB_reports_and_0_leaves_DuckDBs_own_default()
    {
        using (var services = Services("a.duckdb", ("Storage:CheckpointThresholdMiB", "48")))
        {
            Assert.Equal("48.0 MiB", Scalar(services.GetRequiredService<EventStoreProvider>().Store.Connection, "SELECT current_setting('checkpoint_threshold')"));
        }
        using var defaults = Services("b.duckdb", ("Storage:CheckpointThresholdMiB", "0"));
        Assert.Equal(DuckDbDefault(), Scalar(defaults.GetRequiredService<EventStoreProvider>().Store.Connection, "SELECT current_setting('checkpoint_threshold')"));
    }

    /// <summary>Commits of 5,000 rows of about 400 bytes (the shape of a worker's batch) until about 24 MiB of log
    /// have been written: with 32 MiB DuckDB has not checkpointed yet and the whole log is still there; with DuckDB's
    /// 16 MiB it has checkpointed on the way and the log is shorter.</summary>
    [Theory]
    [InlineData("32", true)]
    [InlineData("0", false)]
    public void DuckDB_lets_the_log_grow_to_the_threshold_before_it_checkpoints(string threshold, bool logKeptWhole)
    {
        var file = $"wal-{threshold}.duckdb";
        using var services = Services(file, ("Storage:CheckpointThresholdMiB", threshold));
        var store = services.GetRequiredService<EventStoreProvider>().Store;
        var wal = Path.Combine(_dir, file + ".wal");
        long walBytes = 0;
        long largest = 0;
        for (var batch = 0; batch < 40 && walBytes < 24L << 20; batch++)
        {
            using var cmd = store.Connection.CreateCommand();
            cmd.CommandText = string.Create(CultureInfo.InvariantCulture, $"""
                BEGIN;
                INSERT INTO requests (source, source_partition, source_offset, ingested_at, ts, endpoint, status_code, latency_ms, request_id, attributes)
                SELECT 'checkpoint-test', 0, {batch * 5000} + i, now(), now(), 'legacy', 200, i * 0.5,
                       md5(i::VARCHAR || '{batch}'), to_json(struct_pack(note := repeat(md5(i::VARCHAR), 9)))
                FROM range(5000) t(i);
                COMMIT;
                """);
            cmd.ExecuteNonQuery();
            walBytes = File.Exists(wal) ? new FileInfo(wal).Length : 0;
            largest = Math.Max(largest, walBytes);
            if (!logKeptWhole && batch >= 20)
            {
                break; // far past 16 MiB of log in total: DuckDB's default has checkpointed long since
            }
        }

        if (logKeptWhole)
        {
            Assert.True(walBytes >= 24L << 20, $"with a 32 MiB threshold the log should have reached 24 MiB without a checkpoint; it is {walBytes:N0} bytes");
        }
        else
        {
            Assert.True(largest < 20L << 20, $"with DuckDB's 16 MiB threshold the log should never pass about 16 MiB plus a batch; it reached {largest:N0} bytes");
        }
    }

    [Theory]
    [InlineData("-1", "is out of range")]
    [InlineData("65", "is more than half of Storage:DatabaseMemoryLimitMiB 128")]
    public void A_bad_threshold_stops_start_up_naming_the_key(string value, string expected)
    {
        using var services = Services("c.duckdb", ("Storage:CheckpointThresholdMiB", value));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains($"Storage:CheckpointThresholdMiB {value} {expected}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_threshold_up_to_half_of_a_raised_memory_limit_is_accepted()
    {
        using var services = Services("d.duckdb", ("Storage:CheckpointThresholdMiB", "256"), ("Storage:DatabaseMemoryLimitMiB", "512"));

        Assert.Equal(256, services.GetRequiredService<IOptions<StorageOptions>>().Value.CheckpointThresholdMiB);
    }

    [Fact]
    public void Run_and_replay_with_a_bad_threshold_exit_2_before_the_database_is_created()
    {
        var db = Path.Combine(_dir, "x.duckdb");
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, $$"""
            { "Storage": { "DatabasePath": "{{db}}", "CheckpointThresholdMiB": 200 } }
            """);
        var events = Path.Combine(_dir, "events.ndjson");
        File.WriteAllText(events, """{"timestamp":"2025-06-01T00:00:00Z","endpoint":"legacy","status_code":200,"latency_ms":12.5}""" + "\n");

        var (runExit, _, runError) = CliProcess.Run("run", "--config", config);
        var (replayExit, _, replayError) = CliProcess.Run("replay", events, "--db", db, "--config", config);

        Assert.Equal(2, runExit);
        Assert.Contains("loganalytics: configuration error: Storage:CheckpointThresholdMiB 200 is more than half of Storage:DatabaseMemoryLimitMiB 128", runError, StringComparison.Ordinal);
        Assert.Equal(2, replayExit);
        Assert.Contains("loganalytics replay: configuration error: Storage:CheckpointThresholdMiB 200 is out of range: replay runs DuckDB with 256 MiB, so give at most 128 MiB", replayError, StringComparison.Ordinal);
        Assert.False(File.Exists(db), "nothing may start before the settings are valid");
    }

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
