using LogAnalytics.Cli;
using LogAnalytics.Ingestion;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>The real worker host (the same one `loganalytics run` builds), in-process, with test settings layered on top.</summary>
public sealed class WorkerHost : IAsyncDisposable
{
    private readonly IHost _host;

    private WorkerHost(IHost host) => _host = host;

    public IngestionStatistics Statistics => _host.Services.GetRequiredService<IngestionStatistics>();

    /// <summary>Where the HTTP surface listens (the real port when Http:Urls asked for port 0); null without HTTP.</summary>
    public Uri? HttpAddress => _host.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>()?
        .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses.Select(a => new Uri(a)).FirstOrDefault();

    public static async Task<WorkerHost> StartAsync(IDictionary<string, string?> settings)
    {
        var host = AppHost.BuildWorkerHost(configFile: null, overrides: settings, quietConsole: Environment.GetEnvironmentVariable("LOGANALYTICS_TEST_VERBOSE") != "1");
        await host.StartAsync();
        return new WorkerHost(host);
    }

    /// <summary>Adds experiments <paramref name="ids"/> (legacy = baseline, holy_sheep = canary) with no dwell, 500
    /// minimum samples and margins wide enough for a healthy canary to pass at test volumes (a few thousand canary
    /// requests): the shape every end-to-end verdict test uses.</summary>
    public static void AddExperiments(IDictionary<string, string?> settings, params string[] ids)
    {
        var metrics = new[] { ("latency_p50", "0.25"), ("latency_p95", "0.35"), ("latency_p99", "0.6"), ("latency_distribution", "0.25"), ("error_rate", "0.03") };
        for (var i = 0; i < ids.Length; i++)
        {
            var key = $"Experiments:Items:{i}";
            settings[$"{key}:Id"] = ids[i];
            settings[$"{key}:BaselineEndpoint"] = "legacy";
            settings[$"{key}:CanaryEndpoint"] = "holy_sheep";
            for (var s = 0; s < 4; s++)
            {
                settings[$"{key}:MinDwell:{s}"] = "0s";
            }
            settings[$"{key}:MinSamples"] = "500";
            for (var m = 0; m < metrics.Length; m++)
            {
                settings[$"{key}:Metrics:{m}:Name"] = metrics[m].Item1;
                settings[$"{key}:Metrics:{m}:Margin"] = metrics[m].Item2;
            }
        }
    }

    /// <summary>Settings for a worker on <paramref name="bootstrap"/> reading <paramref name="topic"/> into <paramref name="dbPath"/>.</summary>
    public static Dictionary<string, string?> Settings(string bootstrap, string topic, string dbPath, IReadOnlyDictionary<string, string> clientOverrides, string? group = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = bootstrap,
            ["Kafka:Topics:0"] = topic,
            ["Kafka:GroupId"] = group ?? $"{topic}-group",
            ["Kafka:DeadLetterTopic"] = $"{topic}-dlq",
            ["Kafka:VerdictTopic"] = $"{topic}-verdicts",
            ["Kafka:Client:session.timeout.ms"] = "10000",
            ["Kafka:Client:heartbeat.interval.ms"] = "1000",
            ["Storage:DatabasePath"] = dbPath,
            ["Storage:SnapshotIntervalSeconds"] = "0",
            ["Ingestion:BatchMaxDelayMs"] = "200",
            ["Ingestion:BatchMaxEvents"] = "500",
            ["Experiments:EvaluationIntervalSeconds"] = "3600",
            ["Http:Urls"] = "", // no HTTP surface unless a test asks for one (on a free loopback port)
        };
        foreach (var (key, value) in clientOverrides)
        {
            settings[$"Kafka:Client:{key}"] = value;
        }
        return settings;
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync(TimeSpan.FromSeconds(60));
        _host.Dispose();
    }
}
