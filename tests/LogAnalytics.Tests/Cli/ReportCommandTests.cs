using LogAnalytics.Tests.Report;

namespace LogAnalytics.Tests.Cli;

/// <summary>`loganalytics report` as a user runs it: one HTML file per run, the experiments asked for, clear errors.</summary>
public sealed class ReportCommandTests(ReportDatabase db) : IClassFixture<ReportDatabase>
{
    private string Config()
    {
        var path = Path.Combine(db.Directory, "report-config.json");
        File.WriteAllText(path, """
            {"Experiments": {"Items": [
              {"Id": "checkout", "BaselineEndpoint": "legacy", "CanaryEndpoint": "holy_sheep", "Stages": [5, 25, 50, 100], "MinDwell": ["1h", "1h", "1h", "0s"], "MinSamples": 100}
            ]}}
            """);
        return path;
    }

    [Fact]
    public void Writes_one_self_contained_page_with_the_experiments_asked_for()
    {
        var output = Path.Combine(db.Directory, "out", "report.html");
        var (exit, stdout, stderr) = CliProcess.Run("report", "--db", db.Path, "--experiment", "checkout", "--experiment", "no-cost",
            "--from", "2026-11-20T00:00:00Z", "--to", "2026-11-20T06:00:00Z", "--config", Config(), "--out", output);
        Assert.True(exit == 0, stderr);
        Assert.Contains("wrote " + output, stdout);
        var html = File.ReadAllText(output);
        Assert.Contains("<section id=\"experiment-checkout\">", html);
        Assert.Contains("<section id=\"experiment-no-cost\">", html);
        Assert.DoesNotContain("experiment-baseline-only", html);
        Assert.Contains("canary at 25 % of traffic", html);
        Assert.Contains("data:image/png;base64,", html);
        Assert.False(File.Exists(output + ".tmp"));
    }

    [Theory]
    [InlineData("--from", "yesterday", "--from \"yesterday\" is not an ISO-8601 time")]
    [InlineData("--to", "2026-13-01", "--to \"2026-13-01\" is not an ISO-8601 time")]
    public void A_bad_time_is_a_usage_error(string option, string value, string message)
    {
        var (exit, _, stderr) = CliProcess.Run("report", "--db", db.Path, option, value, "--out", Path.Combine(db.Directory, "x.html"));
        Assert.Equal(2, exit);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public void A_missing_database_and_a_reversed_range_are_usage_errors()
    {
        var (exit, _, stderr) = CliProcess.Run("report", "--db", Path.Combine(db.Directory, "missing.duckdb"), "--out", Path.Combine(db.Directory, "x.html"));
        Assert.Equal(2, exit);
        Assert.Contains("no such DuckDB file or Parquet lake directory", stderr);
        (exit, _, stderr) = CliProcess.Run("report", "--db", db.Path, "--from", "2026-11-21T00:00:00Z", "--to", "2026-11-20T00:00:00Z", "--out", Path.Combine(db.Directory, "x.html"));
        Assert.Equal(2, exit);
        Assert.Contains("is after --to", stderr);
    }

    [Fact]
    public void A_file_that_is_not_a_database_is_an_error_that_says_what_to_do()
    {
        var bogus = Path.Combine(db.Directory, "not-a-db.duckdb");
        File.WriteAllText(bogus, "hello");
        var output = Path.Combine(db.Directory, "bogus.html");
        var (exit, _, stderr) = CliProcess.Run("report", "--db", bogus, "--out", output);
        Assert.Equal(1, exit);
        Assert.Contains("cannot read", stderr);
        Assert.Contains("analyst snapshot", stderr);
        Assert.False(File.Exists(output));
    }
}
