using System.CommandLine;
using System.Globalization;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Report;
using LogAnalytics.Storage;
using Microsoft.Extensions.Configuration;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics report --db &lt;file or lake&gt; [--experiment id]... [--from t] [--to t] [--config f] --out report.html</c>:
/// one self-contained HTML page with each experiment's verdict and plots.</summary>
internal static class ReportCommand
{
    public static Command Create()
    {
        var db = new Option<string>("--db") { Description = "A DuckDB file (a worker's file, or its analyst snapshot while the worker runs), or a Parquet lake directory.", Required = true };
        var experiments = new Option<string[]>("--experiment") { Description = "Only these experiments (repeatable). Default: every configured or seen experiment.", AllowMultipleArgumentsPerToken = false };
        var from = new Option<string?>("--from") { Description = "Only events at or after this ISO-8601 time. Default: all." };
        var to = new Option<string?>("--to") { Description = "Only events at or before this ISO-8601 time; the verdict is computed as of it. Default: now." };
        var output = new Option<string>("--out") { Description = "The HTML file to write.", Required = true };
        var config = ConfigOption.Create();
        var command = new Command("report", "Write an HTML report (plots embedded, opens without network) of each experiment: verdict, latency, errors, cost, shadow validation.")
        {
            db, experiments, from, to, config, output,
        };
        command.SetAction((parse, token) => Run(parse.GetRequiredValue(db), parse.GetValue(experiments) ?? [], parse.GetValue(from), parse.GetValue(to),
            parse.GetValue(config), parse.GetRequiredValue(output), token));
        return command;
    }

    private static async Task<int> Run(string dbPath, string[] only, string? fromText, string? toText, string? configFile, string outPath, CancellationToken token)
    {
        if (!TryParseTime("--from", fromText, out var from) || !TryParseTime("--to", toText, out var to))
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
        ExperimentsOptions options;
        PriceBook prices;
        try
        {
            var configuration = new ConfigurationBuilder();
            AppHost.Configure(configuration, configFile);
            var built = configuration.Build();
            options = built.GetSection(ExperimentsOptions.SectionName).Get<ExperimentsOptions>() ?? new ExperimentsOptions();
            var pricing = built.GetSection(PricingOptions.SectionName).Get<PricingOptions>() ?? new PricingOptions();
            var errors = ExperimentCatalog.Validate(options, ExperimentEvaluator.CreateDefault().Metrics).ToList();
            var pricingCheck = new Hosting.PricingOptionsValidator().Validate(null, pricing);
            errors.AddRange(pricingCheck.Failed ? pricingCheck.Failures : []);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine($"loganalytics report: configuration error: {e}");
                }
                return ConfigOption.UsageError;
            }
            prices = PriceBookFile.Load(pricing).Current;
        }
        catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
        {
            return ConfigOption.Report(ex);
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

    private static bool TryParseTime(string name, string? text, out DateTimeOffset? value)
    {
        value = null;
        if (text is null)
        {
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed))
        {
            value = parsed;
            return true;
        }
        Console.Error.WriteLine($"loganalytics report: {name} \"{text}\" is not an ISO-8601 time such as 2026-11-24T12:00:00Z");
        return false;
    }
}
