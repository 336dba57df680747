using LogAnalytics.Http.Metrics;
using LogAnalytics.Http.Routes;
using LogAnalytics.Publishing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Http;

/// <summary>Registers and maps the worker's HTTP surface.</summary>
public static class HttpSurface
{
    /// <summary>Adds the <c>Http</c> options (validated at start), the stage announcer, the probes' clock and the
    /// Prometheus metrics. Needs the ingestion and verdict services (statistics, feed, store, options) registered too.</summary>
    public static IServiceCollection AddLogAnalyticsHttp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<HttpOptions>()
            .Bind(configuration.GetSection(HttpOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<HttpOptions>, HttpOptionsValidator>();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<StageAnnouncer>();
        services.TryAddSingleton<ProbeClock>();
        services.TryAddSingleton<LogAnalyticsMetrics>();
        services.TryAddSingleton<ApiKeyFilter>();
        return services;
    }

    /// <summary>Maps every route, JSON error answers (unknown route 404 and wrong method 405 through status code pages, unhandled 500) and the
    /// listening URLs from <c>Http:Urls</c>.</summary>
    public static WebApplication MapLogAnalyticsHttp(this WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<HttpOptions>>().Value;
        _ = app.Services.GetRequiredService<ProbeClock>(); // probe deadlines count from start-up
        _ = app.Services.GetRequiredService<LogAnalyticsMetrics>(); // histograms observe from the first batch
        foreach (var url in HttpOptions.ParseUrls(options.Urls))
        {
            app.Urls.Add(url);
        }
        app.UseExceptionHandler(error => error.Run(context =>
        {
            var ex = context.Features.Get<IExceptionHandlerFeature>()?.Error;
            context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("LogAnalytics.Http")
                .LogError(ex, "HTTP {Method} {Path} failed: {Error}; the worker goes on", context.Request.Method, context.Request.Path.Value, ex?.Message);
            return ApiResults.WriteErrorAsync(context, StatusCodes.Status500InternalServerError, "internal error; see the worker's log");
        }));
        app.UseStatusCodePages(context => context.HttpContext.Response.HasStarted
            ? Task.CompletedTask
            : ApiResults.WriteErrorAsync(context.HttpContext, context.HttpContext.Response.StatusCode, context.HttpContext.Response.StatusCode switch
            {
                StatusCodes.Status405MethodNotAllowed => $"{context.HttpContext.Request.Method} is not allowed on {context.HttpContext.Request.Path.Value}",
                StatusCodes.Status404NotFound => $"no route {context.HttpContext.Request.Method} {context.HttpContext.Request.Path.Value}; see GET /v1/experiments, /healthz, /readyz, /metrics",
                var s => $"HTTP {s}",
            }));
        app.MapExperimentRoutes();
        app.MapReportRoutes();
        app.MapGateRoutes();
        app.MapProbeRoutes();
        app.MapMetricsRoutes();
        return app;
    }
}
