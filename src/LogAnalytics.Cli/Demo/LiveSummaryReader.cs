using DuckDB.NET.Data;
using LogAnalytics.Storage;

namespace LogAnalytics.Cli.Demo;

/// <summary>One row of sql/queries/live_endpoint_summary.sql.</summary>
internal sealed record EndpointSummary(
    string Endpoint, string? Variant, long Requests, double TrafficShare, long Errors, double ErrorRate,
    double RateLimitedRate, double? P50Ms, double? P95Ms, double? P99Ms, DateTimeOffset? LastEventAt);

/// <summary>
/// Reads the live per-endpoint KPIs from the worker's DuckDB file through a second connection in the same process.
/// DuckDB.NET shares one database instance between connections to the same path in a process, so this reads what the
/// worker committed without contending for the file lock (a second process could not open the file at all).
/// </summary>
internal sealed class LiveSummaryReader(string databasePath) : IDisposable
{
    private static readonly string Query = SqlScripts.Load("queries/live_endpoint_summary.sql");
    private DuckDBConnection? _connection;

    /// <summary>The per-endpoint rows, baseline first.</summary>
    public IReadOnlyList<EndpointSummary> Read()
    {
        _connection ??= Open();
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = Query;
        using var reader = cmd.ExecuteReader();
        var rows = new List<EndpointSummary>();
        while (reader.Read())
        {
            rows.Add(new EndpointSummary(
                reader.GetString(0),
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.GetInt64(2),
                reader.GetDouble(3),
                reader.GetInt64(4),
                reader.GetDouble(5),
                reader.GetDouble(6),
                reader.IsDBNull(7) ? null : reader.GetDouble(7),
                reader.IsDBNull(8) ? null : reader.GetDouble(8),
                reader.IsDBNull(9) ? null : reader.GetDouble(9),
                reader.IsDBNull(10) ? null : reader.GetFieldValue<DateTimeOffset>(10)));
        }
        return rows;
    }

    private DuckDBConnection Open()
    {
        // The same connection string as the worker's store: DuckDB.NET then hands out the same instance.
        var connection = new DuckDBConnection($"Data Source={databasePath}");
        connection.Open();
        return connection;
    }

    public void Dispose() => _connection?.Dispose();
}
