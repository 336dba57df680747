using DuckDB.NET.Data;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>Reads a DuckDB file the test (or an in-process worker) wrote.</summary>
public static class DatabaseProbe
{
    public static long Count(string dbPath, string sql)
    {
        using var connection = new DuckDBConnection($"Data Source={dbPath}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public static List<T> Rows<T>(string dbPath, string sql, Func<DuckDBDataReader, T> map)
    {
        using var connection = new DuckDBConnection($"Data Source={dbPath}");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<T>();
        while (reader.Read())
        {
            rows.Add(map(reader));
        }
        return rows;
    }

    /// <summary>Counts, or -1 while the file cannot be opened (e.g. another process still holds its lock).</summary>
    public static long TryCount(string dbPath, string sql)
    {
        try
        {
            return File.Exists(dbPath) ? Count(dbPath, sql) : -1;
        }
        catch (DuckDBException)
        {
            return -1;
        }
    }
}
