using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Publishing;

/// <summary>Re-evaluates every experiment each <c>Experiments:EvaluationIntervalSeconds</c>, appends the verdicts to the
/// <c>verdicts</c> table and publishes them to <c>Kafka:VerdictTopic</c> keyed by experiment.</summary>
internal sealed class VerdictWorker(
    IOptions<ExperimentsOptions> experiments,
    IOptions<KafkaOptions> kafka,
    EventStoreProvider storeProvider,
    PriceBookFile prices,
    VerdictFeed feed,
    TimeProvider clock,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<VerdictWorker>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var connection = storeProvider.OpenConnection();
        var service = new VerdictService(connection, experiments.Value, ExperimentEvaluator.CreateDefault(), () => prices.Current);
        using var publisher = new VerdictPublisher(kafka.Value, loggerFactory.CreateLogger<VerdictPublisher>());
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
        while (await WaitNext(timer, stoppingToken));
    }

    private static async Task<bool> WaitNext(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
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

    private void EvaluateAll(VerdictService service, VerdictPublisher publisher)
    {
        var asOf = clock.GetUtcNow();
        IReadOnlyList<string> ids;
        try
        {
            ids = service.Experiments(asOf);
        }
        catch (Exception ex)
        {
            _log.LogError(ex, "Could not list experiments in the database: {Error}; retrying at the next evaluation", ex.Message);
            return;
        }
        foreach (var id in ids)
        {
            try
            {
                var verdict = service.Evaluate(id, asOf);
                service.Record(verdict);
                var changed = feed.Update(verdict); // before publishing: a slow broker must not hide the verdict
                var published = publisher.Publish(verdict);
                if (changed)
                {
                    _log.LogInformation("Experiment {Experiment} at {Stage} %: {Decision}. {Reason}",
                        id, verdict.CurrentStage, verdict.Decision, verdict.Reasons.FirstOrDefault());
                }
                else
                {
                    _log.LogDebug("Experiment {Experiment}: {Decision} (published: {Published})", id, verdict.Decision, published);
                }
            }
            catch (Exception ex)
            {
                _log.LogError(ex, "Evaluating experiment {Experiment} failed: {Error}. Other experiments go on; check its settings under Experiments:Items",
                    id, ex.Message);
            }
        }
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
