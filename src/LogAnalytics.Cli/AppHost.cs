using LogAnalytics.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;
using Serilog.Events;

namespace LogAnalytics.Cli;

/// <summary>Builds the host and configuration shared by the commands.</summary>
internal static class AppHost
{
    /// <summary>Environment variables with this prefix override settings; <c>__</c> separates sections
    /// (e.g. <c>LOGANALYTICS_Kafka__BootstrapServers</c>).</summary>
    public const string EnvironmentPrefix = "LOGANALYTICS_";

    /// <summary>Configuration: appsettings.json beside the executable, then <paramref name="configFile"/>, then
    /// environment variables, then <paramref name="overrides"/> (used by demo and tests).</summary>
    /// <exception cref="FileNotFoundException">--config names a file that does not exist.</exception>
    public static void Configure(IConfigurationBuilder config, string? configFile, IDictionary<string, string?>? overrides = null)
    {
        config.Sources.Clear();
        config.AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true, reloadOnChange: false);
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
            {
                throw new FileNotFoundException($"--config {configFile}: no such file", full);
            }
            config.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        config.AddEnvironmentVariables(EnvironmentPrefix);
        if (overrides is not null)
        {
            config.AddInMemoryCollection(overrides);
        }
    }

    /// <summary>A worker host: configuration, Serilog and the ingestion pipeline.</summary>
    public static HostApplicationBuilder CreateWorkerBuilder(string? configFile, IDictionary<string, string?>? overrides = null, bool quietConsole = false)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
            DisableDefaults = true,
        });
        AddWorker(builder, configFile, overrides, quietConsole);
        return builder;
    }

    /// <summary>The host of <c>loganalytics run</c>: the worker, and when <c>Http:Urls</c> is not empty the HTTP surface
    /// in the same host (a WebApplication with the same configuration sources, logging and shutdown).</summary>
    public static IHost BuildWorkerHost(string? configFile, IDictionary<string, string?>? overrides = null, bool quietConsole = false,
        Action<IServiceCollection>? configureServices = null)
    {
        var probe = new ConfigurationManager();
        Configure(probe, configFile, overrides);
        var urls = LogAnalytics.Http.HttpOptions.ParseUrls(probe[$"{LogAnalytics.Http.HttpOptions.SectionName}:{nameof(LogAnalytics.Http.HttpOptions.Urls)}"]);
        if (urls.Count == 0)
        {
            var worker = CreateWorkerBuilder(configFile, overrides, quietConsole);
            configureServices?.Invoke(worker.Services);
            return worker.Build();
        }
        var builder = Microsoft.AspNetCore.Builder.WebApplication.CreateSlimBuilder(new Microsoft.AspNetCore.Builder.WebApplicationOptions
        {
            Args = [],
            ContentRootPath = Directory.GetCurrentDirectory(),
        });
        AddWorker(builder, configFile, overrides, quietConsole);
        LogAnalytics.Http.HttpSurface.AddLogAnalyticsHttp(builder.Services, builder.Configuration);
        configureServices?.Invoke(builder.Services);
        var app = builder.Build();
        LogAnalytics.Http.HttpSurface.MapLogAnalyticsHttp(app);
        return app;
    }

    private static void AddWorker(IHostApplicationBuilder builder, string? configFile, IDictionary<string, string?>? overrides, bool quietConsole)
    {
        Configure(builder.Configuration, configFile, overrides);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
        builder.Services.AddSerilog((_, logger) => ConfigureLogger(logger, builder.Configuration, quietConsole));
        builder.Services.AddLogAnalyticsIngestion(builder.Configuration);
        builder.Services.AddLogAnalyticsVerdicts(builder.Configuration);
    }

    /// <summary>Checks every settings section before the host starts, so a bad setting ends start-up with one line per
    /// problem (naming its key) instead of a host stack trace.</summary>
    /// <exception cref="AggregateException">Of <see cref="Microsoft.Extensions.Options.OptionsValidationException"/>s.</exception>
    public static void ValidateSettings(IServiceProvider services)
    {
        var failures = new List<Exception>();
        void Check<T>() where T : class
        {
            try
            {
                _ = services.GetRequiredService<Microsoft.Extensions.Options.IOptions<T>>().Value;
            }
            catch (Microsoft.Extensions.Options.OptionsValidationException ex)
            {
                failures.Add(ex);
            }
        }
        Check<LogAnalytics.Ingestion.Kafka.KafkaOptions>();
        Check<LogAnalytics.Storage.StorageOptions>();
        Check<LogAnalytics.Ingestion.IngestionOptions>();
        Check<LogAnalytics.Experiments.ExperimentsOptions>();
        Check<LogAnalytics.Kpis.Pricing.PricingOptions>();
        Check<LogAnalytics.Http.HttpOptions>();
        if (failures.Count > 0)
        {
            throw new AggregateException(failures);
        }
    }

    /// <summary>Serilog from the <c>Serilog</c> section, writing plain lines to stderr (stdout stays for data).</summary>
    public static LoggerConfiguration ConfigureLogger(LoggerConfiguration logger, IConfiguration configuration, bool quietConsole) =>
        logger.ReadFrom.Configuration(configuration)
            .Enrich.FromLogContext()
            .WriteTo.Console(
                restrictedToMinimumLevel: quietConsole ? LogEventLevel.Warning : LogEventLevel.Verbose,
                outputTemplate: "[{Timestamp:HH:mm:ss} {Level:u3}] {Message:lj}{NewLine}{Exception}",
                standardErrorFromLevel: LogEventLevel.Verbose);
}
