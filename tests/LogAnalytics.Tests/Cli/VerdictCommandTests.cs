using System.Globalization;
using LogAnalytics.Tests.Verdicts;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Cli;

/// <summary>`loganalytics verdict` as a user runs it: JSON Lines computed from the file alone, clear errors otherwise.</summary>
public sealed class VerdictCommandTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 20, 8, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-verdict-cli-").FullName;

    private static (int ExitCode, string StdOut, string StdErr) Run(params string[] args) => CliProcess.Run(args);

    /// <summary>Two experiments' traffic in a replayed file: "alpha" (variant on every event) and "beta".</summary>
    private string Database()
    {
        var file = Path.Combine(_dir, "traffic.ndjson");
        var random = new Random(5);
        using (var writer = new StreamWriter(file))
        {
            foreach (var experiment in new[] { "alpha", "beta" })
            {
                for (var i = 0; i < 4000; i++)
                {
                    var canary = random.NextDouble() < 0.05;
                    var ts = Start.AddSeconds(i);
                    writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $$"""{"timestamp":"{{ts:O}}","experiment":"{{experiment}}","variant":"{{(canary ? "canary" : "baseline")}}","endpoint":"{{(canary ? "holy_sheep" : "legacy")}}","latency_ms":{{500 + random.Next(500)}},"status_code":200}"""));
                }
            }
        }
        var db = Path.Combine(_dir, "traffic.duckdb");
        var (exit, _, stderr) = Run("replay", file, "--db", db);
        Assert.True(exit == 0, stderr);
        return db;
    }

    [Fact]
    public void Prints_one_verdict_per_experiment_per_line_and_filters_and_honours_as_of()
    {
        var db = Database();
        var asOf = Start.AddHours(2).ToString("O", CultureInfo.InvariantCulture);

        var (exit, stdout, stderr) = Run("verdict", "--db", db, "--as-of", asOf);
        Assert.True(exit == 0, stderr);
        var verdicts = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(VerdictContract.ParseValid).ToList();
        Assert.Equal(["alpha", "beta"], verdicts.Select(v => v.Experiment).Order().ToArray());
        Assert.All(verdicts, v =>
        {
            Assert.Equal(Verdict.SchemaId, v.Schema);
            Assert.Equal(4000, v.Samples.Baseline + v.Samples.Canary);
            Assert.True(v.DefaultsUsed);
            Assert.Equal(Decisions.Wait, v.Decision); // default 48 h dwell at 5 %: never go after an hour
            Assert.Equal(5, v.Checks.Count);
        });

        var (_, only, _) = Run("verdict", "--db", db, "--experiment", "beta", "--as-of", asOf);
        Assert.Equal("beta", Verdict.FromJson(only.Trim())!.Experiment);

        // Only events at or before --as-of count: half an hour in, 1,800 of each experiment's events.
        var (_, early, _) = Run("verdict", "--db", db, "--experiment", "alpha", "--as-of", Start.AddMinutes(30).ToString("O", CultureInfo.InvariantCulture));
        var partial = Verdict.FromJson(early.Trim())!;
        Assert.Equal(1801, partial.Samples.Baseline + partial.Samples.Canary);

        var (_, before, _) = Run("verdict", "--db", db, "--experiment", "alpha", "--as-of", Start.AddDays(-1).ToString("O", CultureInfo.InvariantCulture));
        var none = Verdict.FromJson(before.Trim())!;
        Assert.Equal(Decisions.Wait, none.Decision);
        Assert.Equal(0, none.Samples.Baseline + none.Samples.Canary);
    }

    [Fact]
    public void Bad_arguments_and_unreadable_files_are_clear_errors_with_a_non_zero_exit()
    {
        var (badTime, _, badTimeErr) = Run("verdict", "--db", Path.Combine(_dir, "x.duckdb"), "--as-of", "next tuesday");
        Assert.Equal(2, badTime);
        Assert.Contains("--as-of \"next tuesday\" is not an ISO-8601 time", badTimeErr);

        var (missing, _, missingErr) = Run("verdict", "--db", Path.Combine(_dir, "nope.duckdb"));
        Assert.Equal(2, missing);
        Assert.Contains("nope.duckdb: no such file", missingErr);

        var garbage = Path.Combine(_dir, "garbage.duckdb");
        File.WriteAllText(garbage, "this is not a database");
        var (unreadable, _, unreadableErr) = Run("verdict", "--db", garbage);
        Assert.Equal(1, unreadable);
        Assert.Contains("cannot read", unreadableErr);

        var (noDb, _, noDbErr) = Run("verdict");
        Assert.NotEqual(0, noDb);
        Assert.Contains("--db", noDbErr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
