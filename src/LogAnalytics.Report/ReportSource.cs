using LogAnalytics.Storage;

namespace LogAnalytics.Report;

/// <summary>Opens what <c>--db</c> names for reading: a DuckDB file (read-only, so a worker's analyst snapshot or a
/// stopped worker's file), or a Parquet lake directory (<c>&lt;lake&gt;/&lt;table&gt;/experiment=.../date=.../hour=.../*.parquet</c>)
/// as views over read_parquet with hive partitioning, on an in-memory database that carries the same views and macros.</summary>
internal static class ReportSource
{
    /// <summary>The lake's tables; a missing folder reads as an empty table.</summary>
    private static readonly string[] LakeTables = ["requests", "validations", "stages", "quarantine", "verdicts"];

    /// <exception cref="FileNotFoundException">Neither a file nor a directory.</exception>
    public static DuckDbEventStore Open(string dbPathOrLake)
    {
        if (File.Exists(dbPathOrLake))
        {
            return DuckDbEventStore.Open(dbPathOrLake, readOnly: true);
        }
        if (!Directory.Exists(dbPathOrLake))
        {
            throw new FileNotFoundException($"{dbPathOrLake}: no such DuckDB file or Parquet lake directory", dbPathOrLake);
        }
        // The schema (tables, views, macros) of a current database, then each table the lake has replaced by a view
        // over its Parquet files. Views are bound when queried, so requests_classified and requests_costed read them.
        // Partition values stay text (no autocast), so an experiment named 2026 is still the string '2026'; the
        // date=/hour= partition columns come along as extra text columns that no query reads.
        var store = DuckDbEventStore.Open(":memory:");
        try
        {
            foreach (var table in LakeTables)
            {
                var folder = Path.Combine(Path.GetFullPath(dbPathOrLake), table);
                if (!Directory.Exists(folder) || !Directory.EnumerateFiles(folder, "*.parquet", SearchOption.AllDirectories).Any())
                {
                    continue;
                }
                var glob = Path.Combine(folder, "**", "*.parquet").Replace("'", "''", StringComparison.Ordinal);
                using var cmd = store.Connection.CreateCommand();
                cmd.CommandText = $"DROP TABLE {table}; CREATE VIEW {table} AS SELECT * FROM read_parquet('{glob}', hive_partitioning = true, hive_types_autocast = false, union_by_name = true);";
                cmd.ExecuteNonQuery();
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }
}
