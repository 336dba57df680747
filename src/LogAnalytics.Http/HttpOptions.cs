using Microsoft.Extensions.Options;

namespace LogAnalytics.Http;

/// <summary>Configuration section <c>Http</c>: the worker's HTTP surface (a public contract: rollout tools call it).</summary>
public sealed class HttpOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Http";

    /// <summary>The default of <see cref="Urls"/>.</summary>
    public const string DefaultUrls = "http://0.0.0.0:8080";

    /// <summary><c>Http:Urls</c>: where to listen, <c>;</c>-separated. Default <c>http://0.0.0.0:8080</c>; empty disables
    /// the HTTP surface.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary><c>Http:ApiKeys</c>: when any is set, <c>POST /v1/experiments/{id}/stage</c> needs
    /// <c>Authorization: Bearer &lt;key&gt;</c>. Default none.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary><c>Http:MaxRequestBodyBytes</c>: larger request bodies get 413. Default 65536.</summary>
    public int MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary><c>Http:ConsumeLoopDeadlineSeconds</c>: <c>/healthz</c> fails when the consume loop made no progress for
    /// this long. Default 120.</summary>
    public int ConsumeLoopDeadlineSeconds { get; set; } = 120;

    /// <summary>The URLs to listen on; empty when the surface is disabled. A null or missing setting means the default.</summary>
    public static IReadOnlyList<string> ParseUrls(string? urls) =>
        (urls ?? DefaultUrls).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Checks the <c>Http</c> section; every message names its key.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        var errors = new List<string>();
        foreach (var url in HttpOptions.ParseUrls(options.Urls))
        {
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                errors.Add($"Http:Urls \"{url}\" is not an http:// or https:// URL, e.g. \"{HttpOptions.DefaultUrls}\" (empty disables HTTP)");
            }
        }
        if (options.ApiKeys.Any(string.IsNullOrWhiteSpace))
        {
            errors.Add("Http:ApiKeys has an empty key; remove it or give every key a value");
        }
        if (options.MaxRequestBodyBytes is < 1024 or > 16 * 1024 * 1024)
        {
            errors.Add($"Http:MaxRequestBodyBytes {options.MaxRequestBodyBytes} must be between 1024 and 16777216");
        }
        if (options.ConsumeLoopDeadlineSeconds < 10)
        {
            errors.Add($"Http:ConsumeLoopDeadlineSeconds {options.ConsumeLoopDeadlineSeconds} must be at least 10");
        }
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
