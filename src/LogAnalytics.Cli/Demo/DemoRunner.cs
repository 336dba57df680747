using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.Cli.Commands;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Publishing;
using LogAnalytics.Verdicts;
using LogAnalytics.Ingestion;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LogAnalytics.Cli.Demo;

/// <summary>The demo's settings (the <c>demo</c> command's options).</summary>
internal sealed record DemoSettings
{
    /// <summary>How long traffic runs. Default 20 s.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>Synthetic router events per second. Default 2,000.</summary>
    public double Rate { get; init; } = 2_000;

    /// <summary>The DuckDB file to create; it must not exist. Default: a new file under ./loganalytics-demo/.</summary>
    public string? DatabasePath { get; init; }

    /// <summary>The traffic scenario. Default healthy.</summary>
    public TrafficScenario Scenario { get; init; } = TrafficScenario.Healthy;

    /// <summary>The synthetic router's seed. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The topic the router writes and the worker reads. Default <c>router-logs</c>.</summary>
    public string Topic { get; init; } = "router-logs";

    /// <summary>How often plain lines are printed when the terminal is not interactive. Default 2 s.</summary>
    public TimeSpan PlainReportInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>The default database path for a run started at <paramref name="now"/>.</summary>
    public static string DefaultDatabasePath(DateTimeOffset now) =>
        Path.Combine("loganalytics-demo", string.Create(CultureInfo.InvariantCulture, $"demo-{now:yyyyMMdd-HHmmss}.duckdb"));
}

/// <summary>How a demo run ended.</summary>
internal sealed record DemoOutcome(int ExitCode, string DatabasePath, long Produced, long Stored, long Quarantined, string? Decision = null);

/// <summary>
/// Runs the whole pipeline with nothing installed: librdkafka's mock cluster as the broker, the synthetic router as
/// the traffic, the real worker host (the same one <c>loganalytics run</c> starts) consuming it into DuckDB, and a live
/// view of the KPIs read back from that database. Stops by itself after <see cref="DemoSettings.Duration"/> or on
/// cancellation (Ctrl-C), letting the worker store what was produced, then says where the data is.
/// </summary>
internal static class DemoRunner
{
    private const int SnapshotIntervalSeconds = 5;
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(15);

    public static async Task<DemoOutcome> RunAsync(DemoSettings settings, TextWriter output, bool interactive, CancellationToken cancellationToken)
    {
        var dbPath = Path.GetFullPath(settings.DatabasePath ?? DemoSettings.DefaultDatabasePath(TimeProvider.System.GetLocalNow()));
        if (File.Exists(dbPath))
        {
            // The mock cluster starts empty at offset 0 while the file remembers older offsets: resuming would skip data.
            await Console.Error.WriteLineAsync($"loganalytics demo: {dbPath} already exists; name a new file with --db, or delete it first.");
            return new DemoOutcome(ConfigOption.UsageError, dbPath, 0, 0, 0);
        }
        // A 25 % stage (unless the scenario is about a broken split) so the verdict decides within a short demo.
        var scenario = settings.Scenario.ActualWeightPercent is null ? settings.Scenario with { WeightPercent = DemoStagePercent } : settings.Scenario;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"loganalytics demo: scenario {scenario.Name} ({scenario.Description}); {settings.Rate:N0} events/s for {settings.Duration.TotalSeconds:N0} s, seed {settings.Seed}"));

        using var mock = MockKafkaCluster.Start();
        output.WriteLine($"Kafka: librdkafka mock cluster (test.mock.num.brokers=1) at {mock.BootstrapServers}, topic {settings.Topic}");

        using var traffic = new DemoTrafficProducer(mock.BootstrapServers, settings.Topic, new SyntheticRouterOptions
        {
            Scenario = scenario,
            Seed = settings.Seed,
            Start = TimeProvider.System.GetUtcNow(),
            EventsPerSecond = settings.Rate,
        });
        if (!traffic.Prime(TimeSpan.FromSeconds(10)))
        {
            await Console.Error.WriteLineAsync($"loganalytics demo: the mock cluster did not accept the first message ({traffic.LastError ?? "timed out"}).");
            return new DemoOutcome(1, dbPath, traffic.Produced, 0, 0);
        }

        var snapshotPath = StorageOptions.DeriveSnapshotPath(dbPath);
        var overrides = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = mock.BootstrapServers,
            ["Kafka:Topics:0"] = settings.Topic,
            ["Kafka:GroupId"] = "loganalytics-demo",
            ["Storage:DatabasePath"] = dbPath,
            ["Storage:SnapshotPath"] = snapshotPath,
            ["Storage:SnapshotIntervalSeconds"] = SnapshotIntervalSeconds.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in DemoExperiment(scenario.Experiment))
        {
            overrides[key] = value;
        }
        var builder = AppHost.CreateWorkerBuilder(configFile: null, overrides, quietConsole: true);
        builder.Services.AddSingleton<IHostLifetime, DemoHostLifetime>();
        using var host = builder.Build();
        // Open (and migrate) the database before the worker starts, so the live view finds its tables at once.
        var store = host.Services.GetRequiredService<EventStoreProvider>().Store;
        await host.StartAsync(CancellationToken.None);
        output.WriteLine($"Worker: consuming {settings.Topic} into {dbPath}");

        var statistics = host.Services.GetRequiredService<IngestionStatistics>();
        var verdicts = host.Services.GetRequiredService<VerdictFeed>();
        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        var clock = Stopwatch.StartNew();
        using var summary = new LiveSummaryReader(dbPath);
        DemoSnapshot Snapshot() => TakeSnapshot(clock.Elapsed, settings.Rate, traffic, statistics, summary);

        using var stopTraffic = new CancellationTokenSource();
        var producing = Task.Factory.StartNew(() => traffic.Run(stopTraffic.Token), CancellationToken.None,
            TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var running = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
        running.CancelAfter(settings.Duration);
        var title = $"loganalytics demo: {scenario.Name}";
        var liveVerdictShown = false;
        if (interactive)
        {
            // AutoClear: the final table below replaces the live one.
            await AnsiConsole.Live(DemoView.Table(Snapshot(), title)).AutoClear(true).StartAsync(async ctx =>
            {
                while (await Tick(TimeSpan.FromSeconds(1), running.Token))
                {
                    ctx.UpdateTarget(new Rows(DemoView.Table(Snapshot(), title),
                        Watch.WatchView.Experiments(verdicts.Latest(), TimeProvider.System.GetUtcNow(), "verdict: not evaluated yet")));
                }
            });
        }
        else
        {
            while (await Tick(settings.PlainReportInterval, running.Token))
            {
                WriteLines(output, DemoView.PlainLines(Snapshot()));
                var latest = verdicts.Latest();
                liveVerdictShown |= latest.Count > 0;
                WriteLines(output, [VerdictLine(latest)]);
            }
        }

        // On a slow or busy machine the worker's first evaluation can come after the demo's time is up: keep the traffic
        // running until the first live verdict (at most FirstVerdictGrace more), so the demo always shows one.
        if (verdicts.Latest().Count == 0 && !cancellationToken.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested)
        {
            output.WriteLine("No verdict yet: waiting for the worker's first evaluation");
            using var grace = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, lifetime.ApplicationStopping);
            grace.CancelAfter(FirstVerdictGrace);
            while (verdicts.Latest().Count == 0 && await Tick(TimeSpan.FromMilliseconds(200), grace.Token))
            {
            }
            WriteLines(output, [VerdictLine(verdicts.Latest())]);
        }
        else if (!interactive && !liveVerdictShown && verdicts.Latest().Count > 0)
        {
            // The first live verdict came after the last plain report: show it before stopping.
            WriteLines(output, [VerdictLine(verdicts.Latest())]);
        }

        var workerFailed = lifetime.ApplicationStopping.IsCancellationRequested;
        if (cancellationToken.IsCancellationRequested)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Ctrl-C after {clock.Elapsed.TotalSeconds:N0} s: stopping the traffic and the worker"));
        }
        await stopTraffic.CancelAsync();
        await producing;
        if (!workerFailed && !cancellationToken.IsCancellationRequested)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Stopping: traffic stopped after {traffic.Produced:N0} messages; waiting for the worker to store them"));
            // Ctrl-C skips this wait: what is stored is kept, and the summary says how much that is.
            var drained = Stopwatch.StartNew();
            while (statistics.Stored + statistics.Quarantined < traffic.Delivered && drained.Elapsed < DrainTimeout
                   && !lifetime.ApplicationStopping.IsCancellationRequested)
            {
                await Task.Delay(100, CancellationToken.None);
            }
            workerFailed = lifetime.ApplicationStopping.IsCancellationRequested;
        }
        await host.StopAsync(CancellationToken.None);

        var final = Snapshot();
        summary.Dispose();
        Verdict? finalVerdict = null;
        try
        {
            var experiments = host.Services.GetRequiredService<IOptions<ExperimentsOptions>>().Value;
            var prices = host.Services.GetRequiredService<PriceBookFile>();
            var service = new VerdictService(store.Connection, experiments, ExperimentEvaluator.CreateDefault(), () => prices.Current);
            finalVerdict = service.Evaluate(scenario.Experiment, TimeProvider.System.GetUtcNow());
        }
        catch (DuckDBException ex)
        {
            output.WriteLine($"The final verdict could not be computed: {ex.Message}");
        }
        var snapshotWritten = TryWriteSnapshot(store, snapshotPath, out var snapshotError);

        Terminal.Write(DemoView.Table(final, title + " (final)"), output, interactive);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Stored {final.Stored:N0} events and {final.Quarantined:N0} quarantined messages of {traffic.Delivered:N0} delivered, in {dbPath}"));
        output.WriteLine(snapshotWritten
            ? $"Analyst snapshot: {snapshotPath} (read-only copy, refreshed by the worker every Storage:SnapshotIntervalSeconds)"
            : $"Analyst snapshot: not written ({snapshotError})");
        if (finalVerdict is not null)
        {
            output.WriteLine($"Final verdict for {finalVerdict.Experiment} at the {finalVerdict.CurrentStage} % stage: {finalVerdict.Decision}");
            foreach (var reason in finalVerdict.Reasons)
            {
                output.WriteLine($"  - {reason}");
            }
            foreach (var line in FigureLines(finalVerdict))
            {
                output.WriteLine(line);
            }
            output.WriteLine($"  (the full verdict: loganalytics verdict --db '{dbPath}' --experiment {finalVerdict.Experiment} --config <a file with the demo experiment>)");
        }
        output.WriteLine("Try a query, e.g. with the DuckDB CLI:");
        output.WriteLine($"  duckdb -readonly '{(snapshotWritten ? snapshotPath : dbPath)}' \"SELECT endpoint, count(*) AS requests, quantile_cont(latency_ms, 0.99) AS p99_ms FROM requests GROUP BY endpoint\"");
        output.WriteLine("  (the per-endpoint KPIs shown above are sql/queries/live_endpoint_summary.sql)");

        var exitCode = 0;
        if (workerFailed)
        {
            output.WriteLine("The worker stopped on an error (see the log above); the demo failed.");
            exitCode = 1;
        }
        else if (final.Stored == 0)
        {
            output.WriteLine("No event was stored; the demo failed. Run again with a longer --duration, and check the log above.");
            exitCode = 1;
        }
        return new DemoOutcome(exitCode, dbPath, traffic.Produced, final.Stored, final.Quarantined, finalVerdict?.Decision);
    }

    /// <summary>The verdict's cost and shadow-validation figures in a line each.</summary>
    internal static IEnumerable<string> FigureLines(Verdict verdict)
    {
        if (verdict.Cost is { } cost)
        {
            var line = string.Create(CultureInfo.InvariantCulture,
                $"Cost per 1,000 requests: baseline ${cost.Baseline.CostPer1kRequestsUsd:0.####}, canary ${cost.Canary.CostPer1kRequestsUsd:0.####}");
            if (cost.ProjectedMonthlyUsd is { } month)
            {
                line += string.Create(CultureInfo.InvariantCulture, $"; a month at this volume ({month.Requests:N0} requests): ${month.AllOnBaseline:N2} all on the baseline, ${month.AllOnCanary:N2} all on the canary");
            }
            yield return line;
            var unpriced = cost.Baseline.UnpricedRequests + cost.Canary.UnpricedRequests;
            if (unpriced > 0)
            {
                yield return string.Create(CultureInfo.InvariantCulture,
                    $"  {unpriced:N0} requests are unpriced (not counted as $0); models without a price: {string.Join(", ", cost.Baseline.ModelsWithoutPrice.Concat(cost.Canary.ModelsWithoutPrice).Distinct())}");
            }
        }
        if (verdict.Validation is { MatchRate: { } rate } validation)
        {
            var similarity = validation.Similarity is { } s ? string.Create(CultureInfo.InvariantCulture, $"; similarity mean {s.Mean:0.000}, p5 {s.P5:0.000}") : "";
            yield return string.Create(CultureInfo.InvariantCulture,
                $"Shadow validation: {validation.Matches:N0} of {validation.Events:N0} answers matched ({rate:0.0# %}, Wilson 95 % lower bound {validation.WilsonLow:0.0# %}){similarity}");
        }
    }

    /// <summary>The canary weight of the demo's stage.</summary>
    internal const double DemoStagePercent = 25;

    /// <summary>The demo's experiment: the synthetic router's endpoints, a short dwell and few samples so a 20 s run
    /// decides; margins as the defaults except a 1 pp error-rate margin (the synthetic error rates are noisy at this volume),
    /// plus cost_per_request (5 %) and validation_match_rate (threshold 98 %), required.</summary>
    internal static IEnumerable<KeyValuePair<string, string?>> DemoExperiment(string id)
    {
        yield return new("Experiments:EvaluationIntervalSeconds", "2");
        yield return new("Experiments:Items:0:Id", id);
        yield return new("Experiments:Items:0:BaselineEndpoint", "legacy");
        yield return new("Experiments:Items:0:CanaryEndpoint", "holy_sheep");
        for (var i = 0; i < 4; i++)
        {
            yield return new($"Experiments:Items:0:MinDwell:{i}", "5s");
        }
        yield return new("Experiments:Items:0:MinSamples", "300");
        var metrics = new[] { ("latency_p50", "0.10"), ("latency_p95", "0.10"), ("latency_p99", "0.10"), ("latency_distribution", "0.10"), ("error_rate", "0.01"), ("cost_per_request", "0.05") };
        for (var m = 0; m < metrics.Length; m++)
        {
            yield return new($"Experiments:Items:0:Metrics:{m}:Name", metrics[m].Item1);
            yield return new($"Experiments:Items:0:Metrics:{m}:Margin", metrics[m].Item2);
        }
        yield return new($"Experiments:Items:0:Metrics:{metrics.Length}:Name", "validation_match_rate");
        yield return new($"Experiments:Items:0:Metrics:{metrics.Length}:Threshold", "0.98");
    }

    private static string VerdictLine(IReadOnlyList<Verdict> verdicts) => verdicts.Count == 0
        ? "verdict: not evaluated yet"
        : string.Join(Environment.NewLine, verdicts.Select(v => $"verdict {v.Experiment}: {v.Decision} ({v.Samples.Baseline:N0} baseline / {v.Samples.Canary:N0} canary) - {v.Reasons.FirstOrDefault()}"));

    /// <summary>Waits <paramref name="interval"/>; false once <paramref name="token"/> is cancelled.</summary>
    /// <summary>How long the demo waits past its duration for the worker's first live verdict.</summary>
    private static readonly TimeSpan FirstVerdictGrace = TimeSpan.FromSeconds(60);

    private static async Task<bool> Tick(TimeSpan interval, CancellationToken token)
    {
        try
        {
            await Task.Delay(interval, token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static DemoSnapshot TakeSnapshot(TimeSpan elapsed, double rate, DemoTrafficProducer traffic, IngestionStatistics statistics, LiveSummaryReader summary)
    {
        IReadOnlyList<EndpointSummary> rows = [];
        string? error = null;
        try
        {
            rows = summary.Read();
        }
        catch (DuckDBException ex)
        {
            error = ex.Message;
        }
        return new DemoSnapshot(elapsed, rate, traffic.Produced, traffic.Delivered, statistics.Consumed, statistics.Stored,
            statistics.Quarantined, statistics.Batches, rows, error);
    }

    /// <summary>Refreshes the analyst snapshot once more after the worker stopped, so it holds every stored row.</summary>
    private static bool TryWriteSnapshot(DuckDbEventStore store, string snapshotPath, out string? error)
    {
        try
        {
            store.WriteSnapshot(snapshotPath);
            error = null;
            return true;
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            error = ex.Message;
            return false;
        }
    }

    private static void WriteLines(TextWriter output, IEnumerable<string> lines)
    {
        foreach (var line in lines)
        {
            output.WriteLine(line);
        }
        output.Flush();
    }
}
