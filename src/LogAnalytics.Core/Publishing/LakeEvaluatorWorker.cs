using DuckDB.NET.Data;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage.Lake;
using LogAnalytics.Verdicts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Publishing;

/// <summary>Where <c>loganalytics evaluate</c> reads and keeps its state.</summary>
/// <param name="LakePath">The shared lake (every ingest worker's <c>Storage:LakePath</c>).</param>
/// <param name="DatabasePath">The evaluator's own DuckDB file (its verdicts table and the lake views).</param>
public sealed record LakeEvaluatorSettings(string LakePath, string DatabasePath);

/// <summary>The evaluator of a shared lake: each <c>Experiments:EvaluationIntervalSeconds</c> it judges every experiment
/// from the lake (all partitions, whichever worker wrote them), appends the verdicts to its own <c>verdicts</c> table
/// and publishes them to <c>Kafka:VerdictTopic</c>, exactly as a single worker does from its file.
/// <para>One evaluator publishes per lake: it holds an exclusive lock (flock) on <c>&lt;lake&gt;/_evaluator.lock</c> while it
/// runs. A second replica on the same lake finds the lock taken, says so once and waits as a standby, trying again at
/// every evaluation interval; it takes over when the holder stops or dies (the kernel releases the lock with the
/// process). It opens its database only once it holds the lock.</para>
/// <para>Its verdicts reach the lake's <c>verdicts</c> table as a worker's do (once a minute old, files named by
/// <c>evaluated_at</c> range), so analysts read the verdict history from the lake alone.</para></summary>
internal sealed class LakeEvaluatorWorker(
    LakeEvaluatorSettings settings,
    IOptions<ExperimentsOptions> experiments,
    IOptions<KafkaOptions> kafka,
    PriceBookFile prices,
    VerdictFeed feed,
    TimeProvider clock,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<LakeEvaluatorWorker>();
    private readonly VerdictRound _round = new(feed, loggerFactory.CreateLogger<LakeEvaluatorWorker>(), $"the lake {settings.LakePath}");
    private bool _waitingWarned;
    private bool _standbyLogged;

    /// <summary>The lease file in the lake root that one evaluator at a time holds locked.</summary>
    public const string LockFile = "_evaluator.lock";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var publisher = new VerdictPublisher(kafka.Value, loggerFactory.CreateLogger<VerdictPublisher>());
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(experiments.Value.EvaluationIntervalSeconds), clock);
        DuckDBConnection? connection = null;
        VerdictService? service = null; // kept with its connection, so its evaluator remembers each experiment's plan
        DuckDBConnection? lakeConnection = null;
        LakeWriter? lake = null;
        FileStream? lease = null;
        try
        {
            do
            {
                lease ??= TryLease();
                if (lease is null)
                {
                    continue;
                }
                connection ??= TryOpen();
                if (connection is not null)
                {
                    service ??= new VerdictService(connection, experiments.Value, ExperimentEvaluator.CreateDefault(), () => prices.Current);
                    _round.Run(service, publisher, clock.GetUtcNow());
                    lake ??= TryLakeWriter(out lakeConnection);
                    FlushVerdicts(lake);
                }
            }
            while (await VerdictRound.WaitNext(timer, stoppingToken));
        }
        finally
        {
            FlushVerdicts(lake);
            lakeConnection?.Dispose();
            connection?.Dispose();
            lease?.Dispose();
        }
    }

    /// <summary>A lake writer on a plain connection to the evaluator's file (no lake views on its search path): it
    /// writes the evaluator's verdicts only, as the workers hold none (their ingest offsets table is empty here).</summary>
    private LakeWriter? TryLakeWriter(out DuckDBConnection? connection)
    {
        connection = null;
        try
        {
            connection = new DuckDBConnection($"Data Source={settings.DatabasePath}");
            connection.Open();
            var writer = new LakeWriter(connection, settings.LakePath, VerdictSealAfter, LakeWriter.WriterIdFor(settings.DatabasePath)) { Shared = true };
            writer.Recover();
            return writer;
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            connection?.Dispose();
            connection = null;
            LakeFailed(ex);
            return null;
        }
    }

    /// <summary>How old a verdict is before it goes to the lake (as a worker's, with its lake flushed every minute).</summary>
    private static readonly TimeSpan VerdictSealAfter = TimeSpan.FromMinutes(1);

    private bool _lakeFailing;

    private void FlushVerdicts(LakeWriter? lake)
    {
        if (lake is null)
        {
            return;
        }
        try
        {
            var now = clock.GetUtcNow();
            lake.Flush(now);
            lake.CompactSealedHours(now);
            if (_lakeFailing)
            {
                _log.LogInformation("Verdicts reach the lake {LakePath} again", settings.LakePath);
            }
            _lakeFailing = false;
        }
        catch (Exception ex) when (ex is DuckDBException or IOException or UnauthorizedAccessException)
        {
            LakeFailed(ex);
        }
    }

    private void LakeFailed(Exception ex)
    {
        if (!_lakeFailing)
        {
            _log.LogWarning(ex, "Writing verdicts to the lake {LakePath} failed: {Error}. Publishing goes on and the verdicts stay in {DatabasePath}; they reach the lake once it is writable again (check free space and permissions)",
                settings.LakePath, ex.Message, settings.DatabasePath);
        }
        _lakeFailing = true;
    }

    /// <summary>Takes the lake's evaluator lease, or returns null (and says so once) while another evaluator holds it.</summary>
    private FileStream? TryLease()
    {
        if (!Directory.Exists(settings.LakePath))
        {
            if (!_waitingWarned)
            {
                _waitingWarned = true;
                _log.LogWarning("The lake {LakePath} does not exist yet; waiting for an ingest worker to create it. Check that the workers' Storage:LakePath is this folder",
                    settings.LakePath);
            }
            return null;
        }
        var path = Path.Combine(settings.LakePath, LockFile);
        try
        {
            // FileShare.None takes an exclusive flock on Unix (advisory; NFSv4 and most ReadWriteMany volumes honour it).
            var lease = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            _log.LogInformation(_standbyLogged
                    ? "This evaluator now holds {LockFile} (the previous one stopped) and publishes the verdicts of {LakePath}"
                    : "This evaluator holds {LockFile} and is the one that publishes the verdicts of {LakePath}",
                path, settings.LakePath);
            return lease;
        }
        catch (IOException ex)
        {
            if (!_standbyLogged)
            {
                _standbyLogged = true;
                _log.LogWarning("Another evaluator holds {LockFile} ({Reason}): this one is a standby and publishes nothing; it takes over when that one stops. Run one evaluator per lake unless you want a standby",
                    path, ex.Message);
            }
            return null;
        }
    }

    private DuckDBConnection? TryOpen()
    {
        if (!LakeVerdictDatabase.IsReady(settings.LakePath))
        {
            if (!_waitingWarned)
            {
                _waitingWarned = true;
                _log.LogWarning("The lake {LakePath} has no tables yet; waiting for an ingest worker to create them. Check that the workers' Storage:LakePath is this folder",
                    settings.LakePath);
            }
            return null;
        }
        try
        {
            var connection = LakeVerdictDatabase.Open(settings.DatabasePath, settings.LakePath);
            _log.LogInformation("Evaluating experiments from the lake {LakePath}; verdicts kept in {DatabasePath} and published to {VerdictTopic}",
                settings.LakePath, settings.DatabasePath, kafka.Value.VerdictTopic);
            return connection;
        }
        catch (DuckDBException ex)
        {
            _log.LogError(ex, "Could not open the evaluator's database {DatabasePath}: {Error}. Check that no other evaluator holds it (run one replica); retrying at the next evaluation",
                settings.DatabasePath, ex.Message);
            return null;
        }
    }
}
