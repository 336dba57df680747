using System.CommandLine;
using LogAnalytics.Report;
using LogAnalytics.Storage;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics report --db &lt;file or lake&gt; [--experiment id]... [--from t] [--to t] [--config f] --out report.html</c>:
/// one self-contained HTML page with each experiment's verdict and plots.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var shared = new AnalysisCommandOptions("report", "A DuckDB file (a worker's file, or its analyst snapshot while the worker runs), or a Parquet lake directory.");
        var from = AnalysisCommandOptions.Time("--from", "Only events at or after this ISO-8601 time. Default: all.");
        var to = AnalysisCommandOptions.Time("--to", "Only events at or before this ISO-8601 time; the verdict is computed as of it. Default: now.");
        var output = new Option<string>("--out") { Description = "The HTML file to write.", Required = true };
        var command = new Command("report", "Write an HTML report (plots embedded, opens without network) of each experiment: verdict, latency, errors, cost, shadow validation.")
        {
            shared.Db, shared.Experiments, from, to, shared.Config, output,
        };
        // On a thread of its own (rendering is synchronous until the file is written), so that Ctrl-C finds a started
        // task to wait for; see ReplayCommand.
        command.SetAction((parse, token) => Task.Run(() => Run(shared, parse.GetRequiredValue(shared.Db), shared.Only(parse), parse.GetValue(from), parse.GetValue(to),
            parse.GetValue(shared.Config), parse.GetRequiredValue(output), token), CancellationToken.None));
        return command;
    }

    private static async Task<int> Run(AnalysisCommandOptions shared, string dbPath, string[] only, string? fromText, string? toText, string? configFile, string outPath, CancellationToken token)
    {
        if (!shared.TryParseTime("--from", fromText, out var from) || !shared.TryParseTime("--to", toText, out var to))
        {
            return ConfigOption.UsageError;
        }
        if (from is { } f && to is { } t && f > t)
        {
            Console.Error.WriteLine($"loganalytics report: --from {fromText} is after --to {toText}");
            return ConfigOption.UsageError;
        }
        if (!File.Exists(dbPath) && !Directory.Exists(dbPath))
        {
            Console.Error.WriteLine($"loganalytics report: {dbPath}: no such DuckDB file or Parquet lake directory");
            return ConfigOption.UsageError;
        }
        if (!shared.TryLoadSettings(configFile, null, out var options, out var prices))
        {
            return ConfigOption.UsageError;
        }

        var full = Path.GetFullPath(outPath);
        var temporary = full + ".tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(full)!);
            await using (var stream = File.Create(temporary))
            {
                await ReportRenderer.RenderAsync(dbPath, new ReportOptions { Experiments = only, From = from, To = to, Settings = options, Prices = prices }, stream, token);
            }
            File.Move(temporary, full, overwrite: true);
        }
        catch (DuckDB.NET.Data.DuckDBException ex)
        {
            File.Delete(temporary);
            Console.Error.WriteLine($"loganalytics report: cannot read {dbPath} ({ex.Message.Split('\n')[0]}).");
            Console.Error.WriteLine($"  While a worker runs, read its analyst snapshot instead: --db {StorageOptions.DeriveSnapshotPath(dbPath)}; an old file is migrated by running the worker or replay once on it.");
            return 1;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            File.Delete(temporary);
            Console.Error.WriteLine($"loganalytics report: cannot write {outPath}: {ex.Message}");
            return 1;
        }
        Console.WriteLine($"loganalytics report: wrote {full}");
        return 0;
    }
}
