using LogAnalytics.Experiments;
using LogAnalytics.Publishing;
using LogAnalytics.Verdicts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http.Routes;

/// <summary><c>/v1/gates</c>: Flagger webhooks (200–202 = proceed, anything else = halt). Flagger POSTs
/// <c>{"name","namespace","phase","checksum","metadata"}</c>.</summary>
internal static class GateRoutes
{
    public static RouteGroupBuilder MapGateRoutes(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/gates");
        group.MapPost("/promote", (HttpRequest r, VerdictFeed f, IOptions<ExperimentsOptions> e, IOptions<HttpOptions> o, TimeProvider c) =>
            Gate(r, f, e.Value, o.Value, c, "promote", RolloutGates.Promote));
        group.MapPost("/rollback", (HttpRequest r, VerdictFeed f, IOptions<ExperimentsOptions> e, IOptions<HttpOptions> o, TimeProvider c) =>
            Gate(r, f, e.Value, o.Value, c, "rollback", RolloutGates.Rollback));
        return group;
    }

    /// <summary>200 when the gate is open, 409 (with the verdict's reasons) when closed, 404 unknown, 503 stale.</summary>
    internal static async Task<IResult> Gate(HttpRequest request, VerdictFeed feed, ExperimentsOptions experiments, HttpOptions options, TimeProvider clock,
        string gate, Func<Verdict, GateResult> rule)
    {
        var (payload, error) = await JsonBody.ReadAsync(request, options.MaxRequestBodyBytes, null);
        if (error is not null)
        {
            return error;
        }
        var candidates = RolloutGates.FlaggerExperimentCandidates(payload);
        if (candidates.Count == 0)
        {
            return ApiResults.Error(StatusCodes.Status400BadRequest,
                "the body names no experiment: send Flagger's payload with \"name\" (and \"namespace\"), or \"metadata\": {\"experiment\": \"<id>\"}");
        }
        var experiment = candidates.FirstOrDefault(c => feed.Find(c) is not null) ?? candidates[0];
        var (verdict, notFresh) = ExperimentRoutes.Fresh(experiment, feed, experiments, clock);
        if (notFresh is not null)
        {
            return candidates.Count > 1 && verdict is null && feed.Find(experiment) is null
                ? ApiResults.Error(StatusCodes.Status404NotFound, $"no verdict for any of {string.Join(", ", candidates)}; set metadata.experiment to the experiment id", experiment)
                : notFresh;
        }
        var result = rule(verdict!);
        if (result.Open)
        {
            return ApiResults.Json(new { experiment, gate, open = true, decision = verdict!.Decision, stage = verdict.CurrentStage, message = result.Message });
        }
        return ApiResults.Error(StatusCodes.Status409Conflict, result.Message, experiment, new Dictionary<string, object?>
        {
            ["gate"] = gate,
            ["open"] = false,
            ["decision"] = verdict!.Decision,
            ["stage"] = verdict.CurrentStage,
            ["reasons"] = verdict.Reasons,
        });
    }
}
