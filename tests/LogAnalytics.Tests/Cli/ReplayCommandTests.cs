using System.Diagnostics;
using System.Globalization;
using LogAnalytics.Storage;
using LogAnalytics.SyntheticTraffic;

namespace LogAnalytics.Tests.Cli;

/// <summary>`loganalytics replay` stopped by the user as a user stops it: Ctrl-C, pressed twice.</summary>
public sealed class ReplayCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-replay-cli-").FullName;

    private string Synthetic(string name, int lines, int seed)
    {
        var path = Path.Combine(_dir, name);
        using var file = File.Create(path);
        new SyntheticRouter(new SyntheticRouterOptions { Seed = seed, Start = new DateTimeOffset(2026, 11, 24, 0, 0, 0, TimeSpan.Zero) }).WriteNdjson(file, lines);
        return path;
    }

    /// <summary>Two SIGINTs while a file is being replayed (an impatient user, or `timeout -s INT`, which signals the
    /// process twice): the replay stops with exit code 130 and its message instead of crashing, what was committed
    /// stays, and running the same command again stores the rest, each line once.</summary>
    [Fact]
    public async Task Ctrl_C_twice_stops_the_replay_cleanly_and_the_rerun_stores_every_line_once()
    {
        var first = Synthetic("a.ndjson", 1_000, seed: 1);
        var second = Synthetic("b.ndjson", 400_000, seed: 2);
        var db = Path.Combine(_dir, "x.duckdb");

        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "loganalytics.dll"), "replay", first, second, "--db", db })
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["CI"] = "true";
        using var process = Process.Start(info)!;
        var stderr = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var firstFileDone = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                stderr.Enqueue(line);
                if (line.StartsWith("replay a.ndjson:", StringComparison.Ordinal))
                {
                    firstFileDone.Set();
                }
            }
        };
        process.BeginErrorReadLine();
        var stdout = process.StandardOutput.ReadToEndAsync();

        // The small file is stored; the large one (seconds of work) is being replayed now.
        Assert.True(firstFileDone.Wait(TimeSpan.FromSeconds(120)), "no progress line for a.ndjson: " + string.Join('\n', stderr));
        // Both signals from one shell, a few microseconds apart, so that the second arrives while the first is handled:
        // a replay stops within a part, and two `kill` processes started one after the other may find it gone already.
        var pid = process.Id.ToString(CultureInfo.InvariantCulture);
        using (var kill = Process.Start("sh", ["-c", $"kill -INT {pid} && kill -INT {pid}"])!)
        {
            await kill.WaitForExitAsync();
            Assert.Equal(0, kill.ExitCode);
        }
        using (var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
        {
            await process.WaitForExitAsync(deadline.Token); // also drains the redirected streams
        }
        var said = string.Join('\n', stderr);

        Assert.DoesNotContain("Unhandled exception", said, StringComparison.Ordinal);
        Assert.Equal(130, process.ExitCode);
        Assert.Contains("cancelled; what was stored stays, and a new replay resumes where this one stopped", said, StringComparison.Ordinal);
        Assert.DoesNotContain("replayed 2 file(s)", await stdout, StringComparison.Ordinal);
        var partial = Rows(db);
        Assert.InRange(partial, 1_000, 400_999); // the first file, and of the second only whole committed transactions

        var (exit, rerun, rerunErr) = CliProcess.Run("replay", first, second, "--db", db);

        Assert.True(exit == 0, rerunErr);
        Assert.Contains(string.Create(CultureInfo.InvariantCulture, $"{partial:N0} lines already stored"), rerun, StringComparison.Ordinal);
        Assert.Equal(401_000, Rows(db));
        Assert.Equal(401_000, Count(db, "SELECT count(*) FROM (SELECT DISTINCT source, source_offset FROM (SELECT source, source_offset FROM requests UNION ALL SELECT source, source_offset FROM validations UNION ALL SELECT source, source_offset FROM stages UNION ALL SELECT source, source_offset FROM quarantine))"));
    }

    private static long Rows(string db) =>
        Count(db, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM validations) + (SELECT count(*) FROM stages) + (SELECT count(*) FROM quarantine)");

    private static long Count(string db, string sql)
    {
        using var store = DuckDbEventStore.Open(db, readOnly: true);
        return Convert.ToInt64(store.Scalar(sql), CultureInfo.InvariantCulture);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // best effort: a temp directory
        }
    }
}
