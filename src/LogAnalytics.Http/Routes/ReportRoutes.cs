using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Report;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http.Routes;

/// <summary><c>GET /v1/experiments/{id}/report</c>: the same self-contained HTML page as <c>loganalytics report</c>,
/// rendered from the worker's own database (a connection of its own, so ingestion goes on meanwhile).</summary>
internal static class ReportRoutes
{
    /// <summary>The HTML content type of the report (every other answer, errors included, is JSON).</summary>
    public const string HtmlContentType = "text/html; charset=utf-8";

    public static IEndpointRouteBuilder MapReportRoutes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/experiments/{id}/report", GetReport);
        return app;
    }

    /// <summary>200 HTML; 404 JSON for an experiment neither configured nor named by any event; 503 JSON while the
    /// database is not open or this worker holds only part of the traffic.</summary>
    internal static async Task<IResult> GetReport(string id, EventStoreProvider store, IServiceProvider services, IngestionStatistics statistics,
        IOptions<ExperimentsOptions> experiments, TimeProvider clock, CancellationToken ct)
    {
        if (statistics.Ownership == PartitionOwnership.Partial)
        {
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable,
                $"report withheld: this worker owns {statistics.OwnedPartitions} of the {statistics.TotalPartitions} partitions, so its database " +
                "holds part of the traffic; run `loganalytics report --db <lake>` on the shared lake instead", id);
        }
        if (!store.IsOpen)
        {
            return ApiResults.Error(StatusCodes.Status503ServiceUnavailable, "the DuckDB file is not open yet; try again in a few seconds", id);
        }
        // Plotting is CPU work: keep it off the request thread pool's hot path.
        return await Task.Run(async () =>
        {
            using var connection = store.OpenConnection();
            var settings = experiments.Value;
            var now = clock.GetUtcNow();
            var known = settings.Items.Any(i => i.Id == id)
                || new VerdictService(connection, settings, ExperimentEvaluator.CreateDefault()).Experiments(now).Contains(id);
            if (!known)
            {
                return ApiResults.Error(StatusCodes.Status404NotFound, "unknown experiment: it is not configured and no stored event names it", id);
            }
            var options = new ReportOptions { Experiments = [id], Settings = settings, Prices = services.GetService<PriceBookFile>()?.Current ?? PriceBook.Empty, Clock = clock };
            var html = await ReportRenderer.RenderAsync(connection, options, Stream.Null, ct);
            return Results.Content(html, HtmlContentType, System.Text.Encoding.UTF8);
        }, ct);
    }
}
