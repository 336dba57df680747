using LogAnalytics.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LogAnalytics.Tests.Storage;

/// <summary>The worker's storage services built from settings, and DuckDB's own view of a setting: shared by the tests
/// of the <c>Storage</c> keys that reach DuckDB (memory limit, checkpoint threshold).</summary>
internal static class StorageSettings
{
    /// <summary>The storage services with <c>Storage:DatabasePath</c> at <paramref name="databasePath"/> and the
    /// given settings.</summary>
    public static ServiceProvider Services(string databasePath, params (string Key, string Value)[] settings)
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new[] { ("Storage:DatabasePath", databasePath) }.Concat(settings)
                .Select(s => new KeyValuePair<string, string?>(s.Item1, s.Item2)))
            .Build();
        return new ServiceCollection().AddLogAnalyticsStorage(configuration).BuildServiceProvider();
    }

    /// <summary>A scalar query's result as text, e.g. <c>SELECT current_setting('memory_limit')</c>.</summary>
    public static string Scalar(DuckDB.NET.Data.DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }
}
