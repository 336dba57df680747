using System.CommandLine;
using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Ingestion.Replay;
using LogAnalytics.Storage;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics replay &lt;files&gt;... --db &lt;file&gt;</c>: backfill from NDJSON(.gz), idempotently.</summary>
internal static class ReplayCommand
{
    public static Command Create()
    {
        var files = new Argument<string[]>("files") { Description = "NDJSON files (.ndjson, or .ndjson.gz), one event per line.", Arity = ArgumentArity.OneOrMore };
        var db = new Option<string>("--db") { Description = "The DuckDB file to load into (created if missing).", Required = true };
        var config = ConfigOption.Create();
        var shortcut = new ExperimentShortcutOptions();
        var command = new Command("replay", "Backfill events from NDJSON files or captured router stdout through the same decoder and quarantine as the worker. Replaying a file twice adds nothing. With --baseline-endpoint and --canary-endpoint, prints the verdict afterwards.")
        {
            files, db, config,
        };
        shortcut.AddTo(command);
        // On a thread of its own, so that System.CommandLine sees a started task while the replay runs: with the replay
        // run inline its termination handler found no task, completed the exit code itself on Ctrl-C, and a second Ctrl-C
        // (or `timeout -s INT`, which signals twice) crashed the process completing it again.
        command.SetAction((parse, ct) => Task.Run(() => Run(parse.GetRequiredValue(files), parse.GetRequiredValue(db), parse.GetValue(config), shortcut.Read(parse), ct), CancellationToken.None));
        return command;
    }

    private static int Run(string[] files, string dbPath, string? configFile, ExperimentShortcut shortcut, CancellationToken ct)
    {
        if (ExperimentShortcutOptions.ReportErrors("replay", shortcut))
        {
            return ConfigOption.UsageError;
        }
        var missing = files.Where(f => !File.Exists(f)).ToList();
        if (missing.Count > 0)
        {
            foreach (var f in missing)
            {
                Console.Error.WriteLine($"loganalytics replay: {f}: no such file");
            }
            return ConfigOption.UsageError;
        }
        IngestionOptions ingestion;
        int checkpointThreshold;
        PriceBook prices;
        ExperimentsOptions experiments;
        try
        {
            var configuration = new ConfigurationBuilder();
            AppHost.Configure(configuration, configFile);
            var built = configuration.Build();
            ingestion = built.GetSection(IngestionOptions.SectionName).Get<IngestionOptions>() ?? new IngestionOptions();
            checkpointThreshold = (built.GetSection(StorageOptions.SectionName).Get<StorageOptions>() ?? new StorageOptions()).CheckpointThresholdMiB;
            const int replayMemory = FileReplayer.DefaultDatabaseMemoryLimitMiB;
            if (checkpointThreshold < 0 || checkpointThreshold > replayMemory / 2)
            {
                Console.Error.WriteLine($"loganalytics replay: configuration error: Storage:CheckpointThresholdMiB {checkpointThreshold} is out of range: replay runs DuckDB with {replayMemory} MiB, so give at most {replayMemory / 2} MiB (e.g. {StorageOptions.DefaultCheckpointThresholdMiB}), or 0 for DuckDB's own default (16 MiB)");
                return ConfigOption.UsageError;
            }
            experiments = built.GetSection(ExperimentsOptions.SectionName).Get<ExperimentsOptions>() ?? new ExperimentsOptions();
            shortcut.Apply(experiments);
            var pricing = built.GetSection(PricingOptions.SectionName).Get<PricingOptions>() ?? new PricingOptions();
            var pricingCheck = new Hosting.PricingOptionsValidator().Validate(null, pricing);
            if (pricingCheck.Failed)
            {
                foreach (var failure in pricingCheck.Failures)
                {
                    Console.Error.WriteLine($"loganalytics replay: configuration error: {failure}");
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
            store = DuckDbEventStore.Open(dbPath, checkpointThresholdMiB: checkpointThreshold);
        }
        catch (Exception ex)
        {
            Console.Error.WriteLine($"loganalytics replay: cannot open {dbPath}: {ex.Message}");
            Console.Error.WriteLine("  If a worker is running on this file, stop it or replay into another file (DuckDB allows one writer per file).");
            return 1;
        }
        using (store)
        {
            var replayer = new FileReplayer(store, ingestion.CreateDecoder());
            var results = new List<ReplayProgress>();
            try
            {
                if (Terminal.IsInteractive)
                {
                    AnsiConsole.Progress()
                        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedColumn(), new RemainingTimeColumn())
                        .Start(ctx =>
                        {
                            foreach (var file in files)
                            {
                                var task = ctx.AddTask(Path.GetFileName(file), maxValue: Math.Max(1, new FileInfo(file).Length));
                                results.Add(replayer.Replay(file, new Progress<ReplayProgress>(p =>
                                {
                                    task.Value = p.BytesRead;
                                    task.Description = $"{Path.GetFileName(file)} {p.LinesPerSecond:N0} ev/s";
                                }), ct));
                                task.Value = task.MaxValue;
                            }
                        });
                }
                else
                {
                    foreach (var file in files)
                    {
                        var lastPrint = DateTime.MinValue;
                        results.Add(replayer.Replay(file, new InlineProgress<ReplayProgress>(p =>
                        {
                            if (DateTime.UtcNow - lastPrint < TimeSpan.FromSeconds(2) && p.BytesRead < p.TotalBytes)
                            {
                                return;
                            }
                            lastPrint = DateTime.UtcNow;
                            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                                $"replay {Path.GetFileName(p.File)}: {p.BytesRead / 1048576.0:F1}/{p.TotalBytes / 1048576.0:F1} MB, {p.Lines:N0} lines, {p.LinesPerSecond:N0} events/s"));
                        }), ct));
                    }
                }
            }
            catch (OperationCanceledException)
            {
                Console.Error.WriteLine("loganalytics replay: cancelled; what was stored stays, and a new replay resumes where this one stopped.");
                return 130;
            }
            catch (InvalidDataException ex)
            {
                Console.Error.WriteLine($"loganalytics replay: {ex.Message} (is it really gzip?). Files before it were stored; fix it and replay again.");
                return 1;
            }
            PrintSummary(results, dbPath);
            // Analysts' view requests_costed prices the replayed requests with the same book the verdict engine uses.
            PriceBookTable.Sync(store.Connection, prices);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"price book {prices.Source}: {prices.Prices.Count} prices copied into table prices (view requests_costed, sql/queries/cost_by_endpoint_model.sql)"));
            if (shortcut.IsGiven)
            {
                PrintVerdict(store, experiments, prices, shortcut);
            }
        }
        return 0;
    }

    /// <summary>The verdict of the shortcut's experiment, as <c>verdict</c> would print it (one JSON line).</summary>
    private static void PrintVerdict(DuckDbEventStore store, ExperimentsOptions experiments, PriceBook prices, ExperimentShortcut shortcut)
    {
        var errors = Experiments.ExperimentCatalog.Validate(experiments, Evaluation.ExperimentEvaluator.CreateDefault().Metrics);
        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                Console.Error.WriteLine($"loganalytics replay: configuration error: {e}");
            }
            return;
        }
        var service = new Verdicts.VerdictService(store.Connection, experiments, Evaluation.ExperimentEvaluator.CreateDefault(), () => prices);
        var id = string.IsNullOrWhiteSpace(shortcut.ExperimentId) ? ExperimentDefaults.DefaultExperimentId : shortcut.ExperimentId;
        Console.WriteLine(service.Evaluate(id, DateTimeOffset.UtcNow).ToJson());
    }

    private static void PrintSummary(List<ReplayProgress> results, string dbPath)
    {
        var table = new Table().AddColumns("file", "lines", "stored", "not events", "broken events", "already stored", "events/s");
        foreach (var r in results)
        {
            table.AddRow(Path.GetFileName(r.File), r.Lines.ToString("N0", CultureInfo.InvariantCulture), r.Stored.ToString("N0", CultureInfo.InvariantCulture),
                r.NotEvents.ToString("N0", CultureInfo.InvariantCulture), r.BrokenEvents.ToString("N0", CultureInfo.InvariantCulture),
                r.Skipped.ToString("N0", CultureInfo.InvariantCulture), r.LinesPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        }
        Terminal.Write(table);
        var notEvents = results.Sum(r => r.NotEvents);
        var broken = results.Sum(r => r.BrokenEvents);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"replayed {results.Count} file(s) into {dbPath}: {results.Sum(r => r.Stored):N0} events stored, {notEvents:N0} not events, {broken:N0} broken events quarantined (see table quarantine), {results.Sum(r => r.Skipped):N0} lines already stored"));
        if (notEvents > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {notEvents:N0} lines hold no JSON object (prose such as \"Request 4 succeeded\"): the file looks like a raw stdout capture, and {results.Sum(r => r.Stored):N0} events were found in it. They are kept in quarantine with reason not_an_event."));
        }
        if (broken > 0)
        {
            Console.WriteLine("  Broken events by reason: SELECT reason, count(*) FROM quarantine WHERE reason <> 'not_an_event' GROUP BY ALL ORDER BY 2 DESC");
        }
    }
}

/// <summary>An <see cref="IProgress{T}"/> that reports on the caller's thread (no synchronisation context hop).</summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
