using LogAnalytics.Verdicts;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Publishing;

/// <summary>One round of verdicts, the part <see cref="VerdictWorker"/> (a worker's own file) and
/// <see cref="LakeEvaluatorWorker"/> (the shared lake) share: every experiment judged as of one time, appended to the
/// <c>verdicts</c> table, put in the live feed and published to the verdict topic; one experiment's failure is logged
/// and the others go on.</summary>
/// <param name="feed">The live feed (HTTP, probes).</param>
/// <param name="log">The worker's logger.</param>
/// <param name="source">Where the events are read, as the logs name it ("the database", "the lake /data/lake").</param>
internal sealed class VerdictRound(VerdictFeed feed, ILogger log, string source)
{
    /// <summary>Judges, records, feeds and publishes every experiment <paramref name="service"/> knows as of <paramref name="asOf"/>.</summary>
    public void Run(VerdictService service, VerdictPublisher publisher, DateTimeOffset asOf)
    {
        IReadOnlyList<string> ids;
        try
        {
            ids = service.Experiments(asOf);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "Could not list experiments in {Source}: {Error}; retrying at the next evaluation", source, ex.Message);
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
                    log.LogInformation("Experiment {Experiment} at {Stage} %: {Decision}. {Reason}",
                        id, verdict.CurrentStage, verdict.Decision, verdict.Reasons.FirstOrDefault());
                }
                else
                {
                    log.LogDebug("Experiment {Experiment}: {Decision} (published: {Published})", id, verdict.Decision, published);
                }
            }
            catch (Exception ex)
            {
                log.LogError(ex, "Evaluating experiment {Experiment} from {Source} failed: {Error}. Other experiments go on; check its settings under Experiments:Items",
                    id, source, ex.Message);
            }
        }
    }

    /// <summary>Waits for the timer's next tick; false when stopping.</summary>
    public static async Task<bool> WaitNext(PeriodicTimer timer, CancellationToken ct)
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
}
