using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Hosting;

/// <summary>Registers the verdict engine: experiments, periodic evaluation and publishing.</summary>
public static class VerdictServiceCollectionExtensions
{
    /// <summary>Adds the <c>Experiments</c> options (validated at start) and the verdict worker.</summary>
    public static IServiceCollection AddLogAnalyticsVerdicts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<ExperimentsOptions>()
            .Bind(configuration.GetSection(ExperimentsOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExperimentsOptions>, ExperimentsOptionsValidator>();
        services.TryAddSingleton<VerdictFeed>();
        services.AddHostedService<VerdictWorker>();
        return services;
    }
}

/// <summary>Checks the <c>Experiments</c> section; every message names its key.</summary>
internal sealed class ExperimentsOptionsValidator : IValidateOptions<ExperimentsOptions>
{
    public ValidateOptionsResult Validate(string? name, ExperimentsOptions options)
    {
        var errors = ExperimentCatalog.Validate(options, ExperimentEvaluator.CreateDefault().Metrics);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
