using System.Globalization;
using LogAnalytics.Tests.Verdicts;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Cli;

/// <summary>
/// README's Quick start, as a new user runs it with the migration guide's router: its stdout captured to a file
/// (<c>[TRAFFIC LOG] {...}</c> lines with naive isoformat timestamps, no variant, no experiment, and prose between
/// them), replayed, and judged with <c>--baseline-endpoint</c> / <c>--canary-endpoint</c> and no configuration file.
/// </summary>
public sealed class GuideQuickStartTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-quickstart-").FullName;

    private static (int ExitCode, string StdOut, string StdErr) Run(params string[] args) => CliProcess.Run(args);

    /// <summary>2,000 events (about 5 % to holy_sheep) and 20 prose lines, as the guide's router prints them.</summary>
    private (string Path, int Legacy, int HolySheep) Capture()
    {
        var path = Path.Combine(_dir, "router.log");
        var random = new Random(7);
        var start = new DateTime(2026, 11, 24, 10, 0, 0, DateTimeKind.Unspecified);
        int legacy = 0, holySheep = 0;
        using var writer = new StreamWriter(path);
        for (var i = 0; i < 2000; i++)
        {
            var canary = random.NextDouble() < 0.05;
            _ = canary ? holySheep++ : legacy++;
            var ts = start.AddSeconds(i + 1).ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture);
            writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $$"""[TRAFFIC LOG] {"timestamp": "{{ts}}", "endpoint": "{{(canary ? "holy_sheep" : "legacy")}}", "model": "gpt-4.1", "latency_ms": {{400 + random.Next(600)}}.5, "status_code": 200, "success": true}"""));
            if (i % 100 == 0)
            {
                writer.WriteLine($"Request {i} succeeded");
            }
        }
        return (path, legacy, holySheep);
    }

    [Fact]
    public void A_captured_stdout_replays_and_gets_a_verdict_with_the_two_flags_and_no_config_file()
    {
        var (file, legacy, holySheep) = Capture();
        var db = Path.Combine(_dir, "quickstart.duckdb");

        var (exit, stdout, stderr) = Run("replay", file, "--db", db, "--baseline-endpoint", "legacy", "--canary-endpoint", "holy_sheep");

        Assert.True(exit == 0, stderr);
        Assert.Contains("2,000 events stored, 20 not events, 0 broken events quarantined", stdout, StringComparison.Ordinal);
        Assert.Contains("looks like a raw stdout capture, and 2,000 events were found in it", stdout, StringComparison.Ordinal);
        var verdict = VerdictContract.ParseValid(stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Last(l => l.StartsWith('{')));
        Assert.Equal("default", verdict.Experiment);
        Assert.Equal(new VerdictSamples(legacy, holySheep), verdict.Samples);
        Assert.Equal(5, verdict.CurrentStage);

        // verdict on the same file, with the flags (and --stage), gives the same sides.
        var (vExit, vOut, vErr) = Run("verdict", "--db", db, "--baseline-endpoint", "legacy", "--canary-endpoint", "holy_sheep", "--stage", "25");
        Assert.True(vExit == 0, vErr);
        var judged = Verdict.FromJson(vOut.Trim())!;
        Assert.Equal(new VerdictSamples(legacy, holySheep), judged.Samples);
        Assert.Equal(25, judged.CurrentStage);

        // Without them, it cannot tell the sides apart (and says so), as before.
        var (_, plain, _) = Run("verdict", "--db", db);
        var unjudged = Verdict.FromJson(plain.Trim())!;
        Assert.Equal(Decisions.Wait, unjudged.Decision);
        Assert.Equal(new VerdictSamples(0, 0), unjudged.Samples);
    }

    [Theory]
    [InlineData("--baseline-endpoint", "legacy")]
    [InlineData("--canary-endpoint", "holy_sheep")]
    public void One_endpoint_without_the_other_is_a_usage_error_naming_both_flags(string flag, string value)
    {
        var db = Path.Combine(_dir, "x.duckdb");
        File.WriteAllText(Path.Combine(_dir, "empty.log"), "");
        foreach (var args in new[] { new[] { "verdict", "--db", db, flag, value }, ["replay", Path.Combine(_dir, "empty.log"), "--db", db, flag, value] })
        {
            var (exit, _, stderr) = Run(args);
            Assert.Equal(2, exit);
            Assert.Contains("--baseline-endpoint and --canary-endpoint go together", stderr, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_same_endpoint_on_both_sides_and_a_stage_outside_0_to_100_are_usage_errors()
    {
        var db = Path.Combine(_dir, "x.duckdb");
        var (exit, _, stderr) = Run("verdict", "--db", db, "--baseline-endpoint", "a", "--canary-endpoint", "a", "--stage", "150");
        Assert.Equal(2, exit);
        Assert.Contains("must name two different endpoints", stderr, StringComparison.Ordinal);
        Assert.Contains("--stage 150", stderr, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
