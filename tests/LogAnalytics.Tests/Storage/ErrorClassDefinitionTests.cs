using System.Text.RegularExpressions;
using DuckDB.NET.Data;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Storage;

/// <summary>The error-class CASE expression of view <c>requests_classified</c> is written out in every migration that
/// (re)creates the view (0002, 0003) and in sql/lake/views.sql. It cannot be shared: applied migrations must keep their
/// text, and analysts run views.sql in a DuckDB of their own (<c>.read sql/lake/views.sql</c>) that has none of the
/// worker's migrations, so a macro made by a migration would not exist there. These tests keep the copies equal: every
/// copy gives the same class to every status code 0..999 with every kind of error_type and error.</summary>
public sealed class ErrorClassDefinitionTests
{
    private static readonly Regex ErrorClassCase = new(@"(CASE\b(?:(?!\bCASE\b).)*?\bEND)\s+AS\s+error_class\b", RegexOptions.Singleline | RegexOptions.CultureInvariant);

    private static readonly string?[] ErrorTypes =
    [
        null, "", "none", "None", "null", "NULL", "timeout", "Timeout", "TRANSPORT", "stream_cut", "connection", "connect_timeout",
        "read_timeout", " timeout", "rate_limited", "server_error", "content_filter", "other",
    ];

    private static readonly string?[] Errors = [null, "upstream reset", """{"message":"context length exceeded"}"""];

    /// <summary>Every copy of the expression: (where, SQL text).</summary>
    private static IReadOnlyList<(string Source, string Case)> Copies()
    {
        var sources = SqlScripts.Migrations().Select(m => ($"sql/migrations/{m.Name}.sql", m.Sql))
            .Append(("sql/lake/views.sql", SqlScripts.Load("lake/views.sql")));
        var copies = new List<(string, string)>();
        foreach (var (source, sql) in sources)
        {
            foreach (Match m in ErrorClassCase.Matches(sql))
            {
                copies.Add((source, m.Groups[1].Value));
            }
        }
        return copies;
    }

    private static DuckDBConnection Grid()
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var cmd = connection.CreateCommand();
        string Literal(string? s) => s is null ? "NULL::VARCHAR" : "'" + s.Replace("'", "''", StringComparison.Ordinal) + "'";
        cmd.CommandText = $"""
            CREATE TABLE grid AS
            SELECT s.status_code::INTEGER AS status_code, t.error_type, e.error
            FROM range(0, 1000) s(status_code)
            CROSS JOIN (VALUES {string.Join(", ", ErrorTypes.Select(t => $"({Literal(t)})"))}) t(error_type)
            CROSS JOIN (VALUES {string.Join(", ", Errors.Select(e => $"({Literal(e)})"))}) e(error);
            """;
        cmd.ExecuteNonQuery();
        return connection;
    }

    /// <summary>Rows of the grid where the two expressions give different classes.</summary>
    private static long Differences(DuckDBConnection grid, string one, string other)
    {
        using var cmd = grid.CreateCommand();
        cmd.CommandText = $"SELECT count(*) FROM grid r WHERE ({one}) IS DISTINCT FROM ({other})";
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Every_copy_gives_every_status_and_error_type_the_same_class()
    {
        var copies = Copies();
        // 0002 creates the view, 0003 recreates it (new column), the lake has its own.
        Assert.Contains(copies, c => c.Source.Contains("0002", StringComparison.Ordinal));
        Assert.Contains(copies, c => c.Source.Contains("0003", StringComparison.Ordinal));
        Assert.Contains(copies, c => c.Source == "sql/lake/views.sql");
        using var grid = Grid();

        // The grid reaches every class (and success), so equal answers mean equal definitions on every branch.
        using (var cmd = grid.CreateCommand())
        {
            cmd.CommandText = $"SELECT DISTINCT coalesce({copies[0].Case}, 'success') FROM grid r ORDER BY 1";
            using var reader = cmd.ExecuteReader();
            var classes = new List<string>();
            while (reader.Read())
            {
                classes.Add(reader.GetString(0));
            }
            Assert.Equal(["auth", "bad_request", "client_other", "other", "rate_limit", "server", "success", "timeout_transport"], classes);
        }
        foreach (var (source, expression) in copies.Skip(1))
        {
            Assert.True(Differences(grid, copies[0].Case, expression) == 0,
                $"{source} classifies errors unlike {copies[0].Source}: keep every copy of the error_class CASE identical (see this test's summary)");
        }
    }

    [Fact]
    public void A_copy_that_drifts_is_caught()
    {
        var original = Copies().Single(c => c.Source == "sql/lake/views.sql").Case;
        using var grid = Grid();
        var drifted = original.Replace("r.status_code = 429", "r.status_code IN (429, 420)", StringComparison.Ordinal);
        Assert.NotEqual(original, drifted);
        // Status 420 moves from client_other to rate_limit, except with an error_type that makes it a timeout.
        string[] timeouts = ["timeout", "transport", "stream_cut", "connection", "connect_timeout", "read_timeout"];
        var moved = ErrorTypes.Count(t => !timeouts.Contains(t?.ToLowerInvariant())) * Errors.Length;
        Assert.Equal(moved, Differences(grid, original, drifted));
    }
}
