using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Hosting;

/// <summary>Registers the ingestion pipeline (Kafka -> decode -> DuckDB) with its options.</summary>
public static class IngestionServiceCollectionExtensions
{
    /// <summary>Adds the options of sections <c>Kafka</c>, <c>Storage</c> and <c>Ingestion</c> (validated at start:
    /// a bad setting stops start-up with the key's name), the DuckDB store, the Kafka ingestion worker and the lake
    /// service (lake, retention, optional snapshot; on its own thread and connection).</summary>
    public static IServiceCollection AddLogAnalyticsIngestion(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddLogAnalyticsStorage(configuration);
        services.AddOptions<KafkaOptions>()
            .Bind(configuration.GetSection(KafkaOptions.SectionName))
            .PostConfigure(o =>
            {
                o.Topics = o.Topics.Where(t => !string.IsNullOrWhiteSpace(t)).Select(t => t.Trim()).Distinct().ToArray();
            })
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
        services.AddOptions<IngestionOptions>()
            .Bind(configuration.GetSection(IngestionOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton<IngestionStatistics>();
        services.AddHostedService<KafkaIngestionWorker>();
        services.TryAddSingleton<LakeStatistics>();
        services.AddHostedService<LakeService>();
        return services;
    }

    /// <summary>Adds the <c>Storage</c> options and the process's DuckDB store.</summary>
    public static IServiceCollection AddLogAnalyticsStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StorageOptions>()
            .Bind(configuration.GetSection(StorageOptions.SectionName))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();
        services.TryAddSingleton<EventStoreProvider>();
        return services;
    }
}

/// <summary>Checks the <c>Kafka</c> section; every message names the configuration key to fix.</summary>
internal sealed class KafkaOptionsValidator : IValidateOptions<KafkaOptions>
{
    public ValidateOptionsResult Validate(string? name, KafkaOptions options)
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(options.BootstrapServers))
        {
            errors.Add("Kafka:BootstrapServers is required, e.g. \"localhost:9092\"");
        }
        else if (options.BootstrapServers.Split(',').Any(s => !s.Trim().Contains(':', StringComparison.Ordinal)))
        {
            errors.Add($"Kafka:BootstrapServers \"{options.BootstrapServers}\" must be host:port[,host:port...]");
        }
        if (options.Topics.Length == 0)
        {
            errors.Add("Kafka:Topics needs at least one topic, e.g. [\"router-logs\"]");
        }
        if (string.IsNullOrWhiteSpace(options.GroupId))
        {
            errors.Add("Kafka:GroupId is required, e.g. \"loganalytics\"");
        }
        if (!string.IsNullOrWhiteSpace(options.DeadLetterTopic) && options.Topics.Contains(options.DeadLetterTopic))
        {
            errors.Add($"Kafka:DeadLetterTopic \"{options.DeadLetterTopic}\" is also in Kafka:Topics; bad messages would loop");
        }
        if (!string.IsNullOrWhiteSpace(options.VerdictTopic) && options.Topics.Contains(options.VerdictTopic))
        {
            errors.Add($"Kafka:VerdictTopic \"{options.VerdictTopic}\" is also in Kafka:Topics");
        }
        foreach (var reserved in new[] { "bootstrap.servers", "group.id", "enable.auto.offset.store" })
        {
            if (options.Client.ContainsKey(reserved))
            {
                errors.Add($"Kafka:Client:{reserved} is set by LogAnalytics itself; use the dedicated key instead (Kafka:BootstrapServers, Kafka:GroupId) or remove it");
            }
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

/// <summary>Checks the <c>Storage</c> section.</summary>
internal sealed class StorageOptionsValidator : IValidateOptions<StorageOptions>
{
    public ValidateOptionsResult Validate(string? name, StorageOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.DatabasePath))
        {
            return ValidateOptionsResult.Fail("Storage:DatabasePath is required, e.g. \"data/loganalytics.duckdb\"");
        }
        if (Directory.Exists(options.DatabasePath))
        {
            return ValidateOptionsResult.Fail($"Storage:DatabasePath \"{options.DatabasePath}\" is a directory; name a file in it, e.g. \"{Path.Combine(options.DatabasePath, "loganalytics.duckdb")}\"");
        }
        if (options.LakeShared && options.EffectiveLakePath is null)
        {
            return ValidateOptionsResult.Fail("Storage:LakeShared is true but the lake is disabled (Storage:LakePath is empty or the database is in memory); set Storage:LakePath to the shared folder");
        }
        if (options.SnapshotIntervalSeconds is < 0)
        {
            return ValidateOptionsResult.Fail("Storage:SnapshotIntervalSeconds must be >= 0 (0 disables the analyst snapshot)");
        }
        if (options.DatabaseMemoryLimitMiB is not 0 and (< StorageOptions.MinimumDatabaseMemoryLimitMiB or > 16 * 1024 * 1024))
        {
            return ValidateOptionsResult.Fail($"Storage:DatabaseMemoryLimitMiB {options.DatabaseMemoryLimitMiB} is out of range: give DuckDB's memory limit in MiB, at least {StorageOptions.MinimumDatabaseMemoryLimitMiB} (e.g. {StorageOptions.DefaultDatabaseMemoryLimitMiB}), or 0 for DuckDB's own default (80 % of the machine's memory)");
        }
        if (options.CheckpointThresholdMiB is < 0 or > 64 * 1024)
        {
            return ValidateOptionsResult.Fail($"Storage:CheckpointThresholdMiB {options.CheckpointThresholdMiB} is out of range: give the write-ahead log size at which DuckDB checkpoints in MiB (e.g. {StorageOptions.DefaultCheckpointThresholdMiB}), or 0 for DuckDB's own default (16 MiB)");
        }
        if (options.DatabaseMemoryLimitMiB > 0 && options.CheckpointThresholdMiB > options.DatabaseMemoryLimitMiB / 2)
        {
            return ValidateOptionsResult.Fail($"Storage:CheckpointThresholdMiB {options.CheckpointThresholdMiB} is more than half of Storage:DatabaseMemoryLimitMiB {options.DatabaseMemoryLimitMiB}: rows not yet checkpointed are held in DuckDB's memory, so lower the threshold to at most {options.DatabaseMemoryLimitMiB / 2} or raise the memory limit");
        }
        return ValidateOptionsResult.Success;
    }
}
