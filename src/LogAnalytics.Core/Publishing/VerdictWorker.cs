using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Publishing;

/// <summary>Re-evaluates every experiment each <c>Experiments:EvaluationIntervalSeconds</c>, appends the verdicts to the
/// <c>verdicts</c> table and publishes them to <c>Kafka:VerdictTopic</c> keyed by experiment. Only while this worker
/// owns every partition of its topics (<see cref="IngestionStatistics.Ownership"/>): a worker that shares its consumer
/// group holds part of the traffic, and a verdict from part of the traffic must never reach rollout tooling.</summary>
internal sealed class VerdictWorker(
    IOptions<ExperimentsOptions> experiments,
    IOptions<KafkaOptions> kafka,
    IOptions<StorageOptions> storage,
    EventStoreProvider storeProvider,
    PriceBookFile prices,
    VerdictFeed feed,
    IngestionStatistics ingestion,
    TimeProvider clock,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<VerdictWorker>();
    private bool _withholding;
    private readonly VerdictRound _round = new(feed, loggerFactory.CreateLogger<VerdictWorker>(), "the database");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        // The producer exists from the start, so that a broker it cannot reach is reported (through Serilog) at once,
        // not only once the partitions are known.
        using var publisher = new VerdictPublisher(kafka.Value, loggerFactory.CreateLogger<VerdictPublisher>());
        try
        {
            // Until the first assignment is checked, this worker cannot tell whether its database holds all the traffic.
            await ingestion.OwnershipKnown.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        using var connection = storeProvider.OpenConnection();
        var service = new VerdictService(connection, experiments.Value, ExperimentEvaluator.CreateDefault(), () => prices.Current);
        var interval = TimeSpan.FromSeconds(experiments.Value.EvaluationIntervalSeconds);
        using var timer = new PeriodicTimer(interval, clock);
        PriceBook? synced = null;
        do
        {
            synced = SyncPrices(connection, synced);
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            EvaluateAll(service, publisher);
            feed.RecordEvaluation(clock.GetUtcNow(), System.Diagnostics.Stopwatch.GetElapsedTime(started)); // issue 11: probes, metrics
        }
        while (await VerdictRound.WaitNext(timer, stoppingToken));
    }

    /// <summary>Copies the price book into DuckDB (for analysts' view requests_costed) when it changed.</summary>
    private PriceBook? SyncPrices(DuckDB.NET.Data.DuckDBConnection connection, PriceBook? synced)
    {
        var book = prices.Current;
        if (ReferenceEquals(book, synced))
        {
            return synced;
        }
        try
        {
            PriceBookTable.Sync(connection, book);
            return book;
        }
        catch (Exception ex)
        {
            _log.LogWarning(ex, "Could not copy the price book {PriceBookPath} into the database: {Error}. Verdicts still use it; analysts' requests_costed view shows the previous prices until the next try",
                prices.Path, ex.Message);
            return synced;
        }
    }

    /// <summary>Whether verdicts may be published now; says once (per change) in the log why not and what to do.</summary>
    private bool MayPublish()
    {
        if (storage.Value.LakeShared)
        {
            if (!_withholding)
            {
                _withholding = true;
                _log.LogInformation("Verdicts come from the evaluator: Storage:LakeShared is true, so this worker only ingests (into its file and the lake at {LakePath}). " +
                    "Run one `loganalytics evaluate --lake <that folder>` process to publish verdicts to {VerdictTopic}",
                    storage.Value.EffectiveLakePath, kafka.Value.VerdictTopic);
            }
            return false;
        }
        var ownership = ingestion.Ownership;
        if (ownership == PartitionOwnership.All)
        {
            if (_withholding)
            {
                _withholding = false;
                _log.LogInformation("This worker owns all {Total} partitions of {Topics} again: publishing verdicts", ingestion.TotalPartitions, kafka.Value.Topics);
            }
            return true;
        }
        if (ownership == PartitionOwnership.Partial && !_withholding)
        {
            _withholding = true;
            feed.Clear();
            _log.LogWarning(
                "Verdicts withheld: this worker owns {Owned} of the {Total} partitions of {Topics} in consumer group {GroupId}, so its database holds " +
                "only part of the traffic and a verdict from it could contradict another worker's. It keeps ingesting but publishes no verdict " +
                "(topic, verdicts table, live feed) until it owns every partition again. To get verdicts, run one worker per Kafka:GroupId " +
                "(scale to one replica), or give each worker its own Kafka:GroupId so that each reads every partition",
                ingestion.OwnedPartitions, ingestion.TotalPartitions, kafka.Value.Topics, kafka.Value.GroupId);
        }
        _log.LogDebug("Evaluation skipped: partition ownership is {Ownership} ({Owned} of {Total}); verdicts withheld",
            ownership, ingestion.OwnedPartitions, ingestion.TotalPartitions);
        return false;
    }

    private void EvaluateAll(VerdictService service, VerdictPublisher publisher)
    {
        if (!MayPublish())
        {
            return;
        }
        _round.Run(service, publisher, clock.GetUtcNow());
    }
}

/// <summary>The latest verdict per experiment, for the live view and health; thread-safe.</summary>
public sealed class VerdictFeed
{
    private readonly Dictionary<string, Verdict> _latest = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private DateTimeOffset? _lastEvaluationAt;
    private long _evaluations;

    /// <summary>Raised after each round of evaluations with how long it took (on the verdict loop's thread).</summary>
    public event Action<TimeSpan>? Evaluated;

    /// <summary>When the verdict loop last finished a round of evaluations; null before the first.</summary>
    public DateTimeOffset? LastEvaluationAt
    {
        get
        {
            lock (_lock)
            {
                return _lastEvaluationAt;
            }
        }
    }

    /// <summary>Rounds of evaluations finished since start.</summary>
    public long Evaluations => Interlocked.Read(ref _evaluations);

    /// <summary>The latest verdict of <paramref name="experiment"/>, or null when it was never evaluated.</summary>
    public Verdict? Find(string experiment)
    {
        lock (_lock)
        {
            return _latest.GetValueOrDefault(experiment);
        }
    }

    /// <summary>Records that a round of evaluations (every experiment) finished at <paramref name="at"/>.</summary>
    public void RecordEvaluation(DateTimeOffset at, TimeSpan duration)
    {
        lock (_lock)
        {
            _lastEvaluationAt = at;
        }
        Interlocked.Increment(ref _evaluations);
        Evaluated?.Invoke(duration);
    }

    /// <summary>The latest verdicts.</summary>
    public IReadOnlyList<Verdict> Latest()
    {
        lock (_lock)
        {
            return _latest.Values.OrderBy(v => v.Experiment, StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Forgets every verdict (the worker stopped publishing: they would go stale).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _latest.Clear();
        }
    }

    /// <summary>Records a verdict; true when the decision or stage changed.</summary>
    public bool Update(Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        lock (_lock)
        {
            var changed = !_latest.TryGetValue(verdict.Experiment, out var old)
                || old.Decision != verdict.Decision || old.CurrentStage != verdict.CurrentStage;
            _latest[verdict.Experiment] = verdict;
            return changed;
        }
    }
}
