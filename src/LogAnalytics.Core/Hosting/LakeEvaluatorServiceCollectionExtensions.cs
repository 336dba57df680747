using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Hosting;

/// <summary>Registers <c>loganalytics evaluate</c>: the one evaluator of a lake shared by several ingest workers.</summary>
public static class LakeEvaluatorServiceCollectionExtensions
{
    /// <summary>Adds the <c>Kafka</c> (for <c>Kafka:VerdictTopic</c>), <c>Experiments</c> and <c>Pricing</c> options
    /// (validated at start), the price book and the lake evaluator. No ingestion: the evaluator reads the lake only.</summary>
    public static IServiceCollection AddLogAnalyticsLakeEvaluator(this IServiceCollection services, IConfiguration configuration, LakeEvaluatorSettings settings)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(settings);
        services.AddOptions<KafkaOptions>()
            .Bind(configuration.GetSection(KafkaOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<KafkaOptions>, KafkaOptionsValidator>();
        services.AddVerdictInputs(configuration);
        services.AddHostedService<LakeEvaluatorWorker>();
        return services;
    }
}
