using System.Text.Json;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Publishing;
using LogAnalytics.Verdicts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http.Routes;

/// <summary><c>/v1/experiments</c>: the latest verdicts (for Argo Rollouts' Web metric) and stage announcements.</summary>
internal static class ExperimentRoutes
{
    /// <summary>Longest experiment id accepted in a route.</summary>
    public const int MaxExperimentIdLength = 200;

    public static RouteGroupBuilder MapExperimentRoutes(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/experiments");
        group.MapGet("/", List);
        group.MapGet("/{id}/verdict", GetVerdict);
        group.MapPost("/{id}/stage", PostStage).AddEndpointFilter<ApiKeyFilter>();
        return group;
    }

    /// <summary>Every experiment evaluated, its stage, latest decision and when it was evaluated.</summary>
    internal static IResult List(VerdictFeed feed, IngestionStatistics statistics, IOptions<ExperimentsOptions> experiments, TimeProvider clock)
    {
        var now = clock.GetUtcNow();
        var interval = TimeSpan.FromSeconds(experiments.Value.EvaluationIntervalSeconds);
        var items = feed.Latest().Select(v => new ExperimentSummary(
            v.Experiment, v.CurrentStage, v.NextStage, v.Decision, v.EvaluatedAt,
            Math.Round(RolloutGates.Age(v, now).TotalSeconds, 1), RolloutGates.IsStale(v, now, interval),
            v.Samples.Baseline, v.Samples.Canary, v.Reasons.FirstOrDefault()));
        return ApiResults.Json(new
        {
            experiments = items.ToList(),
            evaluation_interval_seconds = experiments.Value.EvaluationIntervalSeconds,
            verdicts_withheld = statistics.Ownership == PartitionOwnership.Partial,
            partitions = new
            {
                ownership = statistics.Ownership.ToString().ToLowerInvariant(),
                owned = statistics.OwnedPartitions,
                total = statistics.TotalPartitions,
            },
        });
    }

    /// <summary>The latest <c>loganalytics.verdict/v1</c> document, exactly as on the topic; 404 unknown, 503 stale.</summary>
    internal static IResult GetVerdict(string id, VerdictFeed feed, IngestionStatistics statistics, IOptions<ExperimentsOptions> experiments, TimeProvider clock)
    {
        if (statistics.Ownership == PartitionOwnership.Partial)
        {
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable,
                $"verdicts withheld: this worker owns {statistics.OwnedPartitions} of the {statistics.TotalPartitions} partitions, so its database " +
                "holds part of the traffic; ask the worker that owns every partition or the evaluator (`loganalytics evaluate --lake`)", id);
        }
        var (verdict, error) = Fresh(id, feed, experiments.Value, clock);
        return error ?? ApiResults.RawJson(verdict!.ToJson());
    }

    /// <summary>The latest verdict of <paramref name="id"/>, or the answer to give instead (404 unknown, 503 stale).</summary>
    internal static (Verdict? Verdict, IResult? Error) Fresh(string id, VerdictFeed feed, ExperimentsOptions experiments, TimeProvider clock)
    {
        var verdict = feed.Find(id);
        if (verdict is null)
        {
            return (null, ApiResults.Error(StatusCodes.Status404NotFound,
                "no verdict for this experiment: it is not configured and no event named it, or its first evaluation has not run yet", id));
        }
        var now = clock.GetUtcNow();
        var interval = TimeSpan.FromSeconds(experiments.EvaluationIntervalSeconds);
        if (RolloutGates.IsStale(verdict, now, interval))
        {
            var age = RolloutGates.Age(verdict, now);
            return (null, ApiResults.Error(StatusCodes.Status503ServiceUnavailable,
                $"the latest verdict is {age.TotalSeconds:0} s old, more than {RolloutGates.StaleAfterIntervals} evaluation intervals ({RolloutGates.StaleAfterIntervals * interval.TotalSeconds:0} s): the worker is stuck or cannot read Kafka; not trusting it",
                id, new Dictionary<string, object?>
                {
                    ["decision"] = verdict.Decision,
                    ["evaluated_at"] = verdict.EvaluatedAt,
                    ["age_seconds"] = Math.Round(age.TotalSeconds, 1),
                }));
        }
        return (verdict, null);
    }

    /// <summary><c>{"weight": 25}</c> -> a <c>kind: "stage"</c> event on the traffic-log topic; 202 with the event.</summary>
    internal static async Task<IResult> PostStage(string id, HttpRequest request, StageAnnouncer announcer, IOptions<HttpOptions> options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(id) || id.Length > MaxExperimentIdLength || id.Any(char.IsControl))
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, $"the experiment id must be 1..{MaxExperimentIdLength} printable characters", id);
        }
        var (body, error) = await JsonBody.ReadAsync(request, options.Value.MaxRequestBodyBytes, id);
        if (error is not null)
        {
            return error;
        }
        if (body.ValueKind != JsonValueKind.Object)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, "the body must be a JSON object such as {\"weight\": 25}", id);
        }
        if (!TryGetWeight(body, out var w, out var weight))
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest,
                "\"weight\" is required: the canary's traffic share in percent, a number (or numeric string) from 0 to 100, e.g. {\"weight\": 25}", id);
        }
        if (!double.IsFinite(weight) || weight is < 0 or > 100)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest, $"\"weight\" {w.GetRawText()} is outside 0..100 (percent)", id);
        }
        try
        {
            var announced = await announcer.AnnounceAsync(id, weight, ct);
            using var doc = JsonDocument.Parse(announced.EventJson);
            return ApiResults.Json(new { @event = doc.RootElement.Clone(), topic = announced.Topic, partition = announced.Partition, offset = announced.Offset },
                StatusCodes.Status202Accepted);
        }
        catch (StageAnnouncementException ex)
        {
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, $"{ex.Message}; nothing was stored, try again", id);
        }
    }

    /// <summary><c>weight</c>, else Flagger's <c>metadata.weight</c>: a number, or a numeric string (Argo's <c>jsonBody</c>
    /// substitutes args as strings; the event contract accepts numeric strings too).</summary>
    private static bool TryGetWeight(JsonElement body, out JsonElement element, out double weight)
    {
        weight = double.NaN;
        if (!body.TryGetProperty("weight", out element)
            && !(body.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object && metadata.TryGetProperty("weight", out element)))
        {
            return false;
        }
        return element.ValueKind switch
        {
            JsonValueKind.Number => element.TryGetDouble(out weight),
            JsonValueKind.String => double.TryParse(element.GetString(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out weight),
            _ => false,
        };
    }
}

/// <summary>One row of <c>GET /v1/experiments</c>.</summary>
internal sealed record ExperimentSummary(
    string Experiment,
    double Stage,
    double? NextStage,
    string Decision,
    DateTimeOffset EvaluatedAt,
    double AgeSeconds,
    bool Stale,
    long BaselineSamples,
    long CanarySamples,
    string? Reason);
