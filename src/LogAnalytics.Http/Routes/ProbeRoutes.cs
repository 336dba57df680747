using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Operations;
using LogAnalytics.Publishing;
using LogAnalytics.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http.Routes;

/// <summary><c>/healthz</c> (liveness) and <c>/readyz</c> (readiness) for Kubernetes probes.</summary>
internal static class ProbeRoutes
{
    public static IEndpointRouteBuilder MapProbeRoutes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", Healthz);
        app.MapGet("/readyz", Readyz);
        return app;
    }

    /// <summary>200 when the consume loop and the verdict loop made progress within their deadlines; 503 naming the stuck one.</summary>
    internal static IResult Healthz(ProbeClock started, IngestionStatistics statistics, VerdictFeed feed, EventStoreProvider store,
        IOptions<HttpOptions> http, IOptions<ExperimentsOptions> experiments, TimeProvider clock)
    {
        var checks = WorkerHealth.Liveness(Snapshot(started, statistics, feed, store, clock),
            TimeSpan.FromSeconds(http.Value.ConsumeLoopDeadlineSeconds), EvaluationDeadline(experiments.Value));
        return Answer(checks, "live", "not live");
    }

    /// <summary>200 when DuckDB is open and migrated, partitions are assigned and the first evaluation is done; else 503.</summary>
    internal static IResult Readyz(ProbeClock started, IngestionStatistics statistics, VerdictFeed feed, EventStoreProvider store, TimeProvider clock) =>
        Answer(WorkerHealth.Readiness(Snapshot(started, statistics, feed, store, clock)), "ready", "not ready");

    /// <summary>The verdict loop's liveness deadline: 3 evaluation intervals and a minute.</summary>
    internal static TimeSpan EvaluationDeadline(ExperimentsOptions experiments) =>
        TimeSpan.FromSeconds(3 * experiments.EvaluationIntervalSeconds + 60);

    private static WorkerHealthSnapshot Snapshot(ProbeClock started, IngestionStatistics statistics, VerdictFeed feed, EventStoreProvider store, TimeProvider clock) =>
        new(clock.GetUtcNow(), started.StartedAt, statistics.LastProgressAt, feed.LastEvaluationAt, store.IsOpen, statistics.AssignedPartitions,
            statistics.Ownership, statistics.TotalPartitions);

    private static IResult Answer(IReadOnlyList<HealthCheck> checks, string okStatus, string failStatus)
    {
        var details = checks.ToDictionary(c => c.Name, c => (object?)new { ok = c.Ok, detail = c.Detail });
        var failing = checks.Where(c => !c.Ok).ToList();
        if (failing.Count == 0)
        {
            return ApiResults.Json(new { status = okStatus, checks = details });
        }
        return ApiResults.Error(StatusCodes.Status503ServiceUnavailable,
            $"{failStatus}: {string.Join("; ", failing.Select(c => $"{c.Name} {c.Detail}"))}",
            extra: new Dictionary<string, object?> { ["checks"] = details });
    }
}

/// <summary>When the HTTP surface started: the probes' deadlines count from here until the loops report progress.</summary>
internal sealed class ProbeClock(TimeProvider clock)
{
    public DateTimeOffset StartedAt { get; } = clock.GetUtcNow();
}
