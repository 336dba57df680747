using System.CommandLine;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;
using Microsoft.Extensions.Configuration;

namespace LogAnalytics.Cli.Commands;

/// <summary>What the commands that judge a worker's data (<c>plan</c>, <c>verdict</c>, <c>report</c>) share: the
/// <c>--db</c>, <c>--experiment</c> and <c>--config</c> options, ISO-8601 time options, the experiments and price book
/// read from configuration, and the read-only database; each problem printed as <c>loganalytics &lt;command&gt;: ...</c>
/// to stderr.</summary>
/// <param name="command">The command's name, as its messages start.</param>
/// <param name="dbDescription">The help text of <c>--db</c> (<see cref="DatabaseFile"/> unless the command reads more).</param>
internal sealed class AnalysisCommandOptions(string command, string dbDescription = AnalysisCommandOptions.DatabaseFile)
{
    /// <summary>The help text of a <c>--db</c> that takes a DuckDB file.</summary>
    public const string DatabaseFile = "The DuckDB file (a worker's file, or its analyst snapshot while the worker runs).";

    public Option<string> Db { get; } = new("--db") { Description = dbDescription, Required = true };

    public Option<string[]> Experiments { get; } = new("--experiment")
    {
        Description = "Only these experiments (repeatable). Default: every configured or seen experiment.",
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string?> Config { get; } = ConfigOption.Create();

    /// <summary>An option holding an ISO-8601 time (read with <see cref="TryParseTime"/>).</summary>
    public static Option<string?> Time(string name, string description) => new(name) { Description = description };

    /// <summary>The experiments named with <c>--experiment</c>; empty for all.</summary>
    public string[] Only(ParseResult parse) => parse.GetValue(Experiments) ?? [];

    /// <summary>Reads an ISO-8601 time option (no offset = UTC); null when not given. False (and says why) when
    /// <paramref name="text"/> is not a time.</summary>
    public bool TryParseTime(string option, string? text, out DateTimeOffset? value)
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
        Console.Error.WriteLine($"loganalytics {command}: {option} \"{text}\" is not an ISO-8601 time such as 2026-11-24T12:00:00Z");
        return false;
    }

    /// <summary>The experiments (after <paramref name="adjust"/>, e.g. the endpoint shortcut) and the price book from
    /// appsettings.json, <paramref name="configFile"/> and the environment, validated. False (each problem printed;
    /// exit <see cref="ConfigOption.UsageError"/>) when a setting is wrong.</summary>
    public bool TryLoadSettings(string? configFile, Action<ExperimentsOptions>? adjust,
        [NotNullWhen(true)] out ExperimentsOptions? options, [NotNullWhen(true)] out PriceBook? prices)
    {
        options = null;
        prices = null;
        try
        {
            var configuration = new ConfigurationBuilder();
            AppHost.Configure(configuration, configFile);
            var built = configuration.Build();
            var experiments = built.GetSection(ExperimentsOptions.SectionName).Get<ExperimentsOptions>() ?? new ExperimentsOptions();
            adjust?.Invoke(experiments);
            var pricing = built.GetSection(PricingOptions.SectionName).Get<PricingOptions>() ?? new PricingOptions();
            var errors = ExperimentCatalog.Validate(experiments, ExperimentEvaluator.CreateDefault().Metrics).ToList();
            var pricingCheck = new Hosting.PricingOptionsValidator().Validate(null, pricing);
            errors.AddRange(pricingCheck.Failed ? pricingCheck.Failures : []);
            if (errors.Count > 0)
            {
                foreach (var e in errors)
                {
                    Console.Error.WriteLine($"loganalytics {command}: configuration error: {e}");
                }
                return false;
            }
            prices = PriceBookFile.Load(pricing).Current;
            options = experiments;
            return true;
        }
        catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
        {
            ConfigOption.Report(ex);
            return false;
        }
    }

    /// <summary>False (and says so; exit <see cref="ConfigOption.UsageError"/>) when <paramref name="dbPath"/> is no file.</summary>
    public bool FileExists(string dbPath)
    {
        if (File.Exists(dbPath))
        {
            return true;
        }
        Console.Error.WriteLine($"loganalytics {command}: {dbPath}: no such file");
        return false;
    }

    /// <summary>Opens <paramref name="dbPath"/> read-only. False (and says to read the analyst snapshot while a worker
    /// holds the file; exit 1) when it cannot.</summary>
    public bool TryOpenReadOnly(string dbPath, [NotNullWhen(true)] out DuckDbEventStore? store)
    {
        try
        {
            store = DuckDbEventStore.Open(dbPath, readOnly: true);
            return true;
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"loganalytics {command}: cannot read {dbPath}: {ex.Message}");
            Console.Error.WriteLine($"  While a worker runs, read its analyst snapshot instead: --db {StorageOptions.DeriveSnapshotPath(dbPath)}");
            store = null;
            return false;
        }
    }

    /// <summary>Says that <paramref name="dbPath"/> is not a database of the current schema and how to migrate it; exit 1.</summary>
    public int NotCurrentSchema(string dbPath, DuckDB.NET.Data.DuckDBException ex)
    {
        Console.Error.WriteLine($"loganalytics {command}: {dbPath} is not a LogAnalytics database of a current schema ({ex.Message.Split('\n')[0]}). Run the worker or replay once on it to migrate.");
        return 1;
    }
}
