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
/// and publishes them to <c>Kafka:VerdictTopic</c>, exactly as a single worker does from its file. Run one replica.</summary>
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

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        using var publisher = new VerdictPublisher(kafka.Value, loggerFactory.CreateLogger<VerdictPublisher>());
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(experiments.Value.EvaluationIntervalSeconds), clock);
        DuckDBConnection? connection = null;
        VerdictService? service = null; // kept with its connection, so its evaluator remembers each experiment's plan
        try
        {
            do
            {
                connection ??= TryOpen();
                if (connection is not null)
                {
                    service ??= new VerdictService(connection, experiments.Value, ExperimentEvaluator.CreateDefault(), () => prices.Current);
                    _round.Run(service, publisher, clock.GetUtcNow());
                }
            }
            while (await VerdictRound.WaitNext(timer, stoppingToken));
        }
        finally
        {
            connection?.Dispose();
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
