using DuckDB.NET.Data;

namespace LogAnalytics.Storage.Lake;

/// <summary>
/// The evaluator's database: a DuckDB file of its own (migrated like a worker's, so it holds the <c>verdicts</c> table
/// the policy remembers its decisions in), whose schema <see cref="Schema"/> holds the views of sql/lake/views.sql over
/// the shared lake. The connection's search path puts that schema first, so <c>requests</c>, <c>validations</c>,
/// <c>stages</c> and <c>requests_classified</c> name the lake's rows (every worker's partitions, one row per source
/// position) and the verdict engine's SQL in sql/queries runs unchanged; <c>verdicts</c> stays the evaluator's table.
/// </summary>
public static class LakeVerdictDatabase
{
    /// <summary>The schema of the lake views in the evaluator's file.</summary>
    public const string Schema = "lake";

    /// <summary>Opens (creating and migrating if needed) <paramref name="databasePath"/> and returns a connection that
    /// reads the events from the lake at <paramref name="lakeRoot"/>. The caller disposes it.</summary>
    /// <exception cref="DuckDBException">The file cannot be opened (e.g. another process holds it).</exception>
    public static DuckDBConnection Open(string databasePath, string lakeRoot)
    {
        DuckDbEventStore.Open(databasePath).Dispose(); // applies migrations: the verdicts table and the price tables
        var connection = new DuckDBConnection($"Data Source={databasePath}");
        connection.Open();
        try
        {
            // The views are created inside the schema, so their unqualified table names (requests_classified reads
            // requests) resolve in it too; the lake's verdicts view is dropped: verdicts are this evaluator's own.
            var views = SqlScripts.Load("lake/views.sql")
                .Replace("CREATE OR REPLACE VIEW ", $"CREATE OR REPLACE VIEW {Schema}.", StringComparison.Ordinal);
            Execute(connection, $"""
                SET VARIABLE lake = '{Path.GetFullPath(lakeRoot).Replace("'", "''", StringComparison.Ordinal)}';
                CREATE SCHEMA IF NOT EXISTS {Schema};
                SET search_path = '{Schema},main';
                {views}
                DROP VIEW IF EXISTS {Schema}.verdicts;
                """);
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>True when the lake has the files its views need (every table's <c>_empty.parquet</c>, written by the
    /// first worker that starts with the lake).</summary>
    public static bool IsReady(string lakeRoot) =>
        LakeWriter.Tables.All(t => Directory.Exists(Path.Combine(lakeRoot, t.Name))
            && Directory.EnumerateFiles(Path.Combine(lakeRoot, t.Name), "*.parquet", SearchOption.AllDirectories).Any());

    private static void Execute(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
