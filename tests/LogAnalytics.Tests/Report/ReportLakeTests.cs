using DuckDB.NET.Data;
using LogAnalytics.Report;

namespace LogAnalytics.Tests.Report;

/// <summary><c>--db</c> given a Parquet lake directory (<c>&lt;lake&gt;/&lt;table&gt;/experiment=&lt;id&gt;/date=.../hour=.../*.parquet</c>):
/// the report read through views over read_parquet is the report of the DuckDB file the lake was written from.</summary>
public sealed class ReportLakeTests(ReportDatabase db) : IClassFixture<ReportDatabase>
{
    [Fact]
    public async Task A_lake_written_from_the_file_gives_the_same_experiment_sections_as_the_file()
    {
        var lake = Path.Combine(db.Directory, "lake-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(lake);
        using (var connection = new DuckDBConnection($"Data Source={db.Path};ACCESS_MODE=READ_ONLY"))
        {
            connection.Open();
            using var cmd = connection.CreateCommand();
            cmd.CommandText = string.Join('\n', new[] { ("requests", "ts"), ("validations", "ts"), ("stages", "ts"), ("verdicts", "evaluated_at") }.Select(t =>
                $"COPY (SELECT *, strftime({t.Item2}, '%Y-%m-%d') AS date, strftime({t.Item2}, '%H') AS hour FROM {t.Item1}) " +
                $"TO '{Path.Combine(lake, t.Item1)}' (FORMAT parquet, PARTITION_BY (experiment, date, hour));"));
            cmd.ExecuteNonQuery();
        }
        Assert.NotEmpty(Directory.GetFiles(Path.Combine(lake, "requests", "experiment=checkout"), "*.parquet", SearchOption.AllDirectories));

        var options = new ReportOptions { Settings = db.Settings, To = ReportDatabase.End, Experiments = ["checkout", "baseline-only", "no-cost", "empty"] };
        var fromFile = await ReportRenderer.RenderAsync(db.Path, options, Stream.Null);
        var fromLake = await ReportRenderer.RenderAsync(lake, options, Stream.Null);

        static string Sections(string html) => html[html.IndexOf("<section", StringComparison.Ordinal)..];
        Assert.Equal(Sections(fromFile), Sections(fromLake));
        Assert.Contains("data-decision", Sections(fromLake));
        Assert.Contains("gpt-4.1-mini", Sections(fromLake));
    }

    [Fact]
    public async Task A_lake_without_some_tables_reads_them_as_empty()
    {
        var lake = Directory.CreateDirectory(Path.Combine(db.Directory, "lake-empty-" + Guid.NewGuid().ToString("N"))).FullName;
        var options = new ReportOptions { Settings = db.Settings, To = ReportDatabase.End, Experiments = ["checkout"] };
        var html = await ReportRenderer.RenderAsync(lake, options, Stream.Null);
        Assert.Contains("No request of this experiment is stored in this time range (empty experiment)", html);
    }
}

/// <summary>The entry point for a process that has the database open already (the worker's HTTP surface).</summary>
public sealed class ReportFromConnectionTests(ReportDatabase db) : IClassFixture<ReportDatabase>
{
    [Fact]
    public async Task An_open_connection_renders_the_same_sections_as_the_path()
    {
        var options = new ReportOptions { Settings = db.Settings, To = ReportDatabase.End, Experiments = ["checkout"] };
        using var connection = new DuckDBConnection($"Data Source={db.Path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        using var output = new MemoryStream();
        var fromConnection = await ReportRenderer.RenderAsync(connection, options, output);
        var fromPath = await ReportRenderer.RenderAsync(db.Path, "checkout", options, Stream.Null);
        static string Sections(string html) => html[html.IndexOf("<section", StringComparison.Ordinal)..];
        Assert.Equal(Sections(fromPath), Sections(fromConnection));
        Assert.Equal(fromConnection, System.Text.Encoding.UTF8.GetString(output.ToArray()));
    }
}
