using LogAnalytics.Http.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace LogAnalytics.Http.Routes;

/// <summary><c>/metrics</c>: Prometheus text exposition format (the one answer that is not JSON: Prometheus reads it).</summary>
internal static class MetricsRoutes
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    public static IEndpointRouteBuilder MapMetricsRoutes(this IEndpointRouteBuilder app)
    {
        app.MapGet("/metrics", Scrape);
        return app;
    }

    internal static async Task<IResult> Scrape(LogAnalyticsMetrics metrics, CancellationToken ct) =>
        Results.Bytes(await metrics.ExportAsync(ct), ContentType);
}
