using System.Globalization;
using System.Text.Json;

namespace LogAnalytics.Tests.Cli;

/// <summary>`loganalytics plan` as a user runs it on a replayed file: a table per experiment, JSON with --json, clear
/// errors otherwise.</summary>
public sealed class PlanCommandTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-plan-cli-").FullName;

    private string Database()
    {
        var file = Path.Combine(_dir, "traffic.ndjson");
        var random = new Random(9);
        using (var writer = new StreamWriter(file))
        {
            for (var i = 0; i < 6000; i++)
            {
                var canary = random.NextDouble() < 0.05;
                var ts = Start.AddSeconds(i * 6); // 10 h, 600 requests per hour
                var failed = random.NextDouble() < 0.02;
                writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $$"""{"timestamp":"{{ts:O}}","experiment":"alpha","variant":"{{(canary ? "canary" : "baseline")}}","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{Math.Round(400 * Math.Exp(0.5 * (random.NextDouble() + random.NextDouble() - 1)), 1)}},"status_code":{{(failed ? 500 : 200)}}}"""));
            }
        }
        var db = Path.Combine(_dir, "traffic.duckdb");
        var (exit, _, stderr) = CliProcess.Run("replay", file, "--db", db);
        Assert.True(exit == 0, stderr);
        return db;
    }

    [Fact]
    public void Prints_per_stage_and_guardrail_what_go_needs_as_a_table_and_as_json()
    {
        var db = Database();

        var (exit, table, stderr) = CliProcess.Run("plan", "--db", db, "--experiment", "alpha");
        Assert.True(exit == 0, stderr);
        Assert.Contains("experiment alpha:", table);
        Assert.Contains("600 requests/h", table);
        foreach (var stage in new[] { "5 %", "25 %", "50 %" })
        {
            Assert.Contains(table.Split('\n'), l => l.StartsWith(stage, StringComparison.Ordinal) && l.Contains("latency_p99"));
            Assert.Contains(table.Split('\n'), l => l.StartsWith(stage, StringComparison.Ordinal) && l.Contains("=> go reachable after"));
        }
        Assert.DoesNotContain(table.Split('\n'), l => l.StartsWith("100 %", StringComparison.Ordinal));

        var (jsonExit, json, _) = CliProcess.Run("plan", "--db", db, "--json");
        Assert.Equal(0, jsonExit);
        using var doc = JsonDocument.Parse(json.Trim());
        var root = doc.RootElement;
        Assert.Equal("alpha", root.GetProperty("experiment").GetString());
        Assert.Equal(600, root.GetProperty("requests_per_hour").GetDouble(), 0);
        var first = root.GetProperty("stages")[0];
        Assert.Equal(5, first.GetProperty("stage").GetDouble());
        // ~30 canary requests per hour at 5 % (the span ends at the last request): every guardrail's requests over its hours is that rate.
        foreach (var g in first.GetProperty("guardrails").EnumerateArray())
        {
            var n = g.GetProperty("canary_requests").GetInt64();
            Assert.InRange(g.GetProperty("hours").GetDouble() / (n / 30.0), 0.99, 1.01);
        }
        Assert.True(first.GetProperty("hours").GetDouble() >= 48, "the 5 % stage's default dwell is 48 h");
    }

    [Fact]
    public void A_missing_file_or_a_bad_time_is_a_usage_error()
    {
        var (exit, _, stderr) = CliProcess.Run("plan", "--db", Path.Combine(_dir, "nope.duckdb"));
        Assert.Equal(2, exit);
        Assert.Contains("no such file", stderr);
        var (badTime, _, timeErr) = CliProcess.Run("plan", "--db", Path.Combine(_dir, "nope.duckdb"), "--as-of", "yesterday");
        Assert.Equal(2, badTime);
        Assert.Contains("--as-of \"yesterday\" is not an ISO-8601 time", timeErr);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
