using System.Reflection;

namespace LogAnalytics.Storage;

/// <summary>The .sql files under /sql, embedded in this assembly (analysts can reuse the same files).</summary>
public static class SqlScripts
{
    private static readonly Assembly Assembly = typeof(SqlScripts).Assembly;

    /// <summary>Reads an embedded script by its path under /sql, e.g. <c>queries/latency_by_endpoint.sql</c>.</summary>
    /// <exception cref="FileNotFoundException">No such script is embedded.</exception>
    public static string Load(string path)
    {
        using var stream = Assembly.GetManifestResourceStream("sql/" + path)
            ?? throw new FileNotFoundException($"SQL script sql/{path} is not embedded in {Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    /// <summary>The embedded migrations, in version order (file names start with their version number).</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations()
    {
        const string prefix = "sql/migrations/";
        return Assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith(".sql", StringComparison.Ordinal))
            .Select(n => n[prefix.Length..^4])
            .Select(n => (Version: int.Parse(n[..n.IndexOf('_')], System.Globalization.CultureInfo.InvariantCulture), Name: n))
            .OrderBy(m => m.Version)
            .Select(m => (m.Version, m.Name, Load("migrations/" + m.Name + ".sql")))
            .ToList();
    }
}
