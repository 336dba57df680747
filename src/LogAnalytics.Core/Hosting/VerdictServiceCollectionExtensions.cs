using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Publishing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Hosting;

/// <summary>Registers the verdict engine: experiments, periodic evaluation and publishing.</summary>
public static class VerdictServiceCollectionExtensions
{
    /// <summary>Adds the <c>Experiments</c> and <c>Pricing</c> options (validated at start), the price book and the
    /// verdict worker.</summary>
    public static IServiceCollection AddLogAnalyticsVerdicts(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddVerdictInputs(configuration);
        services.TryAddSingleton<LogAnalytics.Ingestion.IngestionStatistics>();
        services.AddHostedService<VerdictWorker>();
        return services;
    }

    /// <summary>What every verdict publisher needs (the worker's verdict loop and the lake evaluator alike): the
    /// <c>Pricing</c> and <c>Experiments</c> options validated at start, the price book and the verdict feed.</summary>
    internal static IServiceCollection AddVerdictInputs(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PricingOptions>()
            .Bind(configuration.GetSection(PricingOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<PricingOptions>, PricingOptionsValidator>();
        services.TryAddSingleton(sp => PriceBookFile.Load(sp.GetRequiredService<IOptions<PricingOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<PriceBookFile>()));
        services.AddOptions<ExperimentsOptions>()
            .Bind(configuration.GetSection(ExperimentsOptions.SectionName))
            .ValidateOnStart();
        services.AddSingleton<IValidateOptions<ExperimentsOptions>, ExperimentsOptionsValidator>();
        services.TryAddSingleton<VerdictFeed>();
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

/// <summary>Checks the <c>Pricing</c> section: a price book that exists must parse; a path set explicitly must exist.</summary>
internal sealed class PricingOptionsValidator : IValidateOptions<PricingOptions>
{
    public ValidateOptionsResult Validate(string? name, PricingOptions options)
    {
        var path = options.ResolvedPath();
        if (!File.Exists(path))
        {
            return options.Path == PricingOptions.DefaultPath
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"Pricing:Path \"{options.Path}\": no such file ({path}); point it at a price book such as config/pricing.json");
        }
        try
        {
            _ = PriceBook.Parse(File.ReadAllText(path), path);
            return ValidateOptionsResult.Success;
        }
        catch (Exception ex) when (ex is PriceBookException or IOException or UnauthorizedAccessException)
        {
            return ValidateOptionsResult.Fail($"Pricing:Path: {ex.Message}");
        }
    }
}
