using System.CommandLine;
using System.Globalization;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;
using Microsoft.Extensions.Configuration;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics verdict --db &lt;file&gt; [--experiment &lt;id&gt;]... [--as-of &lt;ISO time&gt;] [--config &lt;file&gt;]</c>:
/// one verdict per experiment per line (JSON Lines), computed from the file alone.</summary>
internal static class VerdictCommand
{
    public static Command Create()
    {
        var db = new Option<string>("--db") { Description = "The DuckDB file (a worker's file, or its analyst snapshot while the worker runs).", Required = true };
        var experiments = new Option<string[]>("--experiment") { Description = "Only these experiments (repeatable). Default: every configured or seen experiment.", AllowMultipleArgumentsPerToken = false };
        var asOf = new Option<string?>("--as-of") { Description = "Judge as of this ISO-8601 time, using only events at or before it. Default: now." };
        var config = ConfigOption.Create();
        var shortcut = new ExperimentShortcutOptions();
        var command = new Command("verdict", "Print the go / no_go / wait verdict of each experiment as JSON Lines (schema loganalytics.verdict/v1).")
        {
            db, experiments, asOf, config,
        };
        shortcut.AddTo(command);
        command.SetAction(parse =>
        {
            var only = parse.GetValue(experiments) ?? [];
            return Run(parse.GetRequiredValue(db), only, parse.GetValue(asOf), parse.GetValue(config),
                shortcut.Read(parse, only.Length == 1 ? only[0] : null));
        });
        return command;
    }

    private static int Run(string dbPath, string[] only, string? asOfText, string? configFile, ExperimentShortcut shortcut)
    {
        if (ExperimentShortcutOptions.ReportErrors("verdict", shortcut))
        {
            return ConfigOption.UsageError;
        }
        var asOf = DateTimeOffset.UtcNow;
        if (asOfText is not null && !DateTimeOffset.TryParse(asOfText, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out asOf))
        {
            Console.Error.WriteLine($"loganalytics verdict: --as-of \"{asOfText}\" is not an ISO-8601 time such as 2026-11-24T12:00:00Z");
            return ConfigOption.UsageError;
        }
        if (!File.Exists(dbPath))
        {
            Console.Error.WriteLine($"loganalytics verdict: {dbPath}: no such file");
            return ConfigOption.UsageError;
        }
        ExperimentsOptions options;
        PriceBook prices;
        var evaluator = ExperimentEvaluator.CreateDefault();
        try
        {
            var configuration = new ConfigurationBuilder();
            AppHost.Configure(configuration, configFile);
            var built = configuration.Build();
            options = built.GetSection(ExperimentsOptions.SectionName).Get<ExperimentsOptions>() ?? new ExperimentsOptions();
            shortcut.Apply(options);
            var pricing = built.GetSection(PricingOptions.SectionName).Get<PricingOptions>() ?? new PricingOptions();
            var errors = ExperimentCatalog.Validate(options, evaluator.Metrics).ToList();
            var pricingCheck = new Hosting.PricingOptionsValidator().Validate(null, pricing);
            errors.AddRange(pricingCheck.Failed ? pricingCheck.Failures : []);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine($"loganalytics verdict: configuration error: {e}");
                }
                return ConfigOption.UsageError;
            }
            prices = PriceBookFile.Load(pricing).Current;
        }
        catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
        {
            return ConfigOption.Report(ex);
        }

        DuckDbEventStore store;
        try
        {
            store = DuckDbEventStore.Open(dbPath, readOnly: true);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"loganalytics verdict: cannot read {dbPath}: {ex.Message}");
            Console.Error.WriteLine($"  While a worker runs, read its analyst snapshot instead: --db {StorageOptions.DeriveSnapshotPath(dbPath)}");
            return 1;
        }
        using (store)
        {
            try
            {
                var service = new VerdictService(store.Connection, options, evaluator, () => prices);
                var ids = only.Length > 0 ? only.Distinct(StringComparer.Ordinal).ToList() : service.Experiments(asOf);
                foreach (var id in ids)
                {
                    Console.WriteLine(service.Evaluate(id, asOf).ToJson());
                }
                return 0;
            }
            catch (DuckDB.NET.Data.DuckDBException ex)
            {
                Console.Error.WriteLine($"loganalytics verdict: {dbPath} is not a LogAnalytics database of a current schema ({ex.Message.Split('\n')[0]}). Run the worker or replay once on it to migrate.");
                return 1;
            }
        }
    }
}
