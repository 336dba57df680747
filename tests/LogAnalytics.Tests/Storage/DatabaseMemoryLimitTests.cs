using LogAnalytics.Storage;
using LogAnalytics.Tests.Cli;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Tests.Storage;

/// <summary><c>Storage:DatabaseMemoryLimitMiB</c> reaches the DuckDB instance of the worker's store (read back from DuckDB
/// itself), on every connection the worker opens to it; a bad value stops start-up naming the key.</summary>
public sealed class DatabaseMemoryLimitTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-memory-limit-").FullName;

    private ServiceProvider Services(params (string Key, string Value)[] settings) => Services("w.duckdb", settings);

    private ServiceProvider Services(string file, params (string Key, string Value)[] settings) =>
        StorageSettings.Services(Path.Combine(_dir, file), settings);

    private static string Setting(DuckDB.NET.Data.DuckDBConnection connection, string sql) => StorageSettings.Scalar(connection, sql);

    [Fact]
    public void The_worker_store_runs_with_128_MiB_by_default_on_every_connection()
    {
        using var services = Services();
        var provider = services.GetRequiredService<EventStoreProvider>();

        Assert.Equal(128, services.GetRequiredService<IOptions<StorageOptions>>().Value.DatabaseMemoryLimitMiB);
        Assert.Equal("128.0 MiB", Setting(provider.Store.Connection, "SELECT current_setting('memory_limit')"));
        using var lakeConnection = provider.OpenConnection(); // the lake and retention's connection: the same instance
        Assert.Equal("128.0 MiB", Setting(lakeConnection, "SELECT current_setting('memory_limit')"));
    }

    [Fact]
    public void A_configured_limit_is_what_DuckDB_reports_and_0_leaves_DuckDBs_own_default()
    {
        using (var services = Services(("Storage:DatabaseMemoryLimitMiB", "1536")))
        {
            var store = services.GetRequiredService<EventStoreProvider>().Store;
            Assert.Equal("1.5 GiB", Setting(store.Connection, "SELECT current_setting('memory_limit')"));
        }

        using var defaults = Services("other.duckdb", ("Storage:DatabaseMemoryLimitMiB", "0"));
        var untouched = defaults.GetRequiredService<EventStoreProvider>().Store;
        using var fresh = new DuckDB.NET.Data.DuckDBConnection("Data Source=:memory:"); // a database nobody configured
        fresh.Open();
        var duckDbDefault = Setting(fresh, "SELECT current_setting('memory_limit')");
        Assert.NotEqual("256.0 MiB", duckDbDefault);
        Assert.Equal(duckDbDefault, Setting(untouched.Connection, "SELECT current_setting('memory_limit')"));
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("16")]
    public void A_limit_below_the_minimum_stops_start_up_naming_the_key(string value)
    {
        using var services = Services(("Storage:DatabaseMemoryLimitMiB", value));

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<StorageOptions>>().Value);
        Assert.Contains($"Storage:DatabaseMemoryLimitMiB {value} is out of range", error.Message, StringComparison.Ordinal);
        Assert.Contains("at least 64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_with_a_bad_limit_exits_2_before_the_database_is_created()
    {
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, $$"""
            { "Storage": { "DatabasePath": "{{Path.Combine(_dir, "x.duckdb")}}", "DatabaseMemoryLimitMiB": 10 } }
            """);

        var (exit, _, stderr) = CliProcess.Run("run", "--config", config);

        Assert.Equal(2, exit);
        Assert.Contains("loganalytics: configuration error: Storage:DatabaseMemoryLimitMiB 10 is out of range", stderr, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "x.duckdb")), "nothing may start before the settings are valid");
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
