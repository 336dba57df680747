using DuckDB.NET.Data;
using LogAnalytics.Cli.Demo;
using LogAnalytics.SyntheticTraffic;
using Xunit;

namespace LogAnalytics.Tests.Cli;

/// <summary>
/// The demo end to end, in process: librdkafka's mock cluster (the demo's documented default broker, not a stand-in
/// for a real one), the synthetic router, the real worker host and DuckDB.
/// </summary>
public sealed class DemoRunnerTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "loganalytics-demo-test-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task A_short_demo_stores_every_produced_event_and_exits_0()
    {
        var db = Path.Combine(_folder, "demo.duckdb");
        using var output = new StringWriter();

        var outcome = await DemoRunner.RunAsync(
            new DemoSettings { Duration = TimeSpan.FromSeconds(4), Rate = 500, DatabasePath = db, Scenario = TrafficScenario.ErrorSpike, Seed = 3, PlainReportInterval = TimeSpan.FromSeconds(1) },
            output, interactive: false, CancellationToken.None);

        var text = output.ToString();
        Assert.True(outcome.ExitCode == 0, text);
        Assert.True(outcome.Produced > 500, text);
        using var connection = new DuckDBConnection($"Data Source={db}");
        connection.Open();
        Assert.Equal(1, Count(connection, "SELECT count(*) FROM stages"));
        var validations = Count(connection, "SELECT count(*) FROM validations");
        Assert.True(validations > 0, "the canary's shadow validation events are stored");
        Assert.Equal(outcome.Produced - 1 - validations, Count(connection, "SELECT count(*) FROM requests"));
        Assert.Equal(0, Count(connection, "SELECT count(*) FROM validations v WHERE NOT EXISTS (SELECT 1 FROM requests r WHERE r.request_id = v.request_id AND r.endpoint = 'holy_sheep')"));
        Assert.Equal(2, Count(connection, "SELECT count(DISTINCT endpoint) FROM requests"));
        Assert.Contains("holy_sheep", text, StringComparison.Ordinal);
        Assert.Contains("p99", text, StringComparison.Ordinal);
        Assert.Contains(db, text, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(_folder, "demo.snapshot.duckdb")), "the analyst snapshot is written");
    }

    [Theory]
    [InlineData("healthy", "go")]
    [InlineData("latency-regression", "no_go")]
    [InlineData("error-spike", "no_go")]
    [InlineData("srm", "wait")]
    [InlineData("cost-regression", "no_go")]
    [InlineData("wrong-answers", "no_go")]
    public async Task Each_scenario_ends_in_its_expected_verdict(string scenarioName, string decision)
    {
        var (outcome, text, scenario) = await RunPlain(scenarioName, TimeSpan.FromSeconds(20), reportEvery: TimeSpan.FromSeconds(2));

        Assert.True(outcome.ExitCode == 0, text);
        Assert.True(outcome.Decision == decision, $"expected {decision}, got {outcome.Decision}:\n{text}");
        Assert.Contains($"Final verdict for {scenario.Experiment}", text, StringComparison.Ordinal);
        Assert.Contains("verdict holy_sheep_rollout:", text, StringComparison.Ordinal); // the verdict evolves in the plain lines
    }

    /// <summary>A live verdict that comes after the last plain report (here no report falls within the run at all) is
    /// still shown before the demo stops; it was lost when the first evaluation came late on a busy machine.</summary>
    [Fact]
    public async Task A_live_verdict_after_the_last_plain_report_is_still_shown()
    {
        var (outcome, text, _) = await RunPlain("healthy", TimeSpan.FromSeconds(8), reportEvery: TimeSpan.FromMinutes(10));

        Assert.True(outcome.ExitCode == 0, text);
        Assert.Contains("verdict holy_sheep_rollout:", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_existing_database_file_is_refused_rather_than_resumed()
    {
        Directory.CreateDirectory(_folder);
        var db = Path.Combine(_folder, "old.duckdb");
        await File.WriteAllTextAsync(db, "");

        var outcome = await DemoRunner.RunAsync(new DemoSettings { DatabasePath = db }, TextWriter.Null, interactive: false, CancellationToken.None);

        Assert.Equal(2, outcome.ExitCode);
    }

    private static long Count(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a preset scenario with plain (non-interactive) output into its own database file.</summary>
    private async Task<(DemoOutcome Outcome, string Text, TrafficScenario Scenario)> RunPlain(string scenarioName, TimeSpan duration, TimeSpan reportEvery)
    {
        Assert.True(TrafficScenario.TryGetPreset(scenarioName, out var scenario));
        using var output = new StringWriter();
        var outcome = await DemoRunner.RunAsync(
            new DemoSettings { Duration = duration, Rate = 3000, DatabasePath = Path.Combine(_folder, $"{scenarioName}.duckdb"), Scenario = scenario, Seed = 1, PlainReportInterval = reportEvery },
            output, interactive: false, CancellationToken.None);
        return (outcome, output.ToString(), scenario);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
