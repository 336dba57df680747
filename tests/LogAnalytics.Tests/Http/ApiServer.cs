using System.Net.Http.Headers;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Hosting;
using LogAnalytics.Http;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Publishing;
using LogAnalytics.Verdicts;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Tests.Http;

/// <summary>The real HTTP surface on a free loopback port over a real (in-memory) VerdictFeed, IngestionStatistics and an
/// in-memory DuckDB: no Kafka, no workers; tests put verdicts into the feed as the verdict worker would.</summary>
internal sealed class ApiServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private ApiServer(WebApplication app, Uri address)
    {
        _app = app;
        Client = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public HttpClient Client { get; }

    public VerdictFeed Feed => _app.Services.GetRequiredService<VerdictFeed>();

    public IngestionStatistics Statistics => _app.Services.GetRequiredService<IngestionStatistics>();

    public IServiceProvider Services => _app.Services;

    public static async Task<ApiServer> StartAsync(IDictionary<string, string?>? settings = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["Http:Urls"] = "http://127.0.0.1:0",
            ["Kafka:BootstrapServers"] = "127.0.0.1:9", // never reached: these tests do not produce
            ["Kafka:Topics:0"] = "router-logs",
            ["Storage:DatabasePath"] = ":memory:",
            ["Experiments:EvaluationIntervalSeconds"] = "30",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
        {
            all[k] = v;
        }
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(all);
        builder.Logging.ClearProviders();
        builder.Services.AddLogAnalyticsStorage(builder.Configuration);
        builder.Services.AddOptions<KafkaOptions>().Bind(builder.Configuration.GetSection(KafkaOptions.SectionName));
        builder.Services.AddOptions<ExperimentsOptions>().Bind(builder.Configuration.GetSection(ExperimentsOptions.SectionName));
        builder.Services.AddSingleton<IngestionStatistics>();
        builder.Services.AddSingleton<VerdictFeed>();
        builder.Services.AddLogAnalyticsHttp(builder.Configuration);
        var app = builder.Build();
        app.MapLogAnalyticsHttp();
        await app.StartAsync();
        return new ApiServer(app, new Uri(app.Urls.First()));
    }

    /// <summary>Opens (and migrates) the in-memory DuckDB, as the consume loop does at start.</summary>
    public void OpenDatabase() => _ = Services.GetRequiredService<LogAnalytics.Storage.EventStoreProvider>().Store;

    public Task<HttpResponseMessage> PostJsonAsync(string path, string body, string? bearer = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json") };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }
        return Client.SendAsync(request);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A verdict as the evaluator would produce it, with one guardrail check.</summary>
    public static Verdict Verdict(string experiment, string decision, DateTimeOffset evaluatedAt, long canary = 3000, double relativeChange = 0.05)
    {
        var outcome = decision switch { Decisions.Go => Outcomes.Pass, Decisions.NoGo => Outcomes.Fail, _ => Outcomes.Inconclusive };
        return new Verdict
        {
            Experiment = experiment,
            Decision = decision,
            CurrentStage = 25,
            NextStage = decision == Decisions.Go ? 50 : null,
            EvaluatedAt = evaluatedAt,
            Window = new VerdictWindow(evaluatedAt.AddHours(-1), evaluatedAt),
            Samples = new VerdictSamples(9000, canary),
            Srm = new SrmCheck(0.25, 0.25, 0.9, true),
            Checks =
            [
                new MetricCheck
                {
                    Metric = "latency_p95", Baseline = 900, Canary = 900 * (1 + relativeChange), RelativeChange = relativeChange,
                    CiLow = relativeChange - 0.04, CiHigh = relativeChange + 0.04, Margin = 0.2, Scale = "relative", Test = "quantile_difference",
                    Outcome = outcome, Reason = $"latency_p95 {outcome}",
                },
            ],
            Reasons = [$"{experiment}: {decision} because the test says so", "second reason"],
        };
    }
}
