namespace LogAnalytics.SyntheticTraffic;

/// <summary>
/// How one backend behaves in the synthetic router: its latency distribution, its error rates and its price.
/// Immutable; derive variants with <c>with</c> (e.g. <c>profile with { MedianLatencyMs = 900 }</c>).
/// </summary>
/// <remarks>
/// Latency is a lognormal body (<see cref="MedianLatencyMs"/>, <see cref="LatencySigma"/>) mixed with a Pareto tail
/// that a fraction <see cref="TailProbability"/> of requests fall into: scale <see cref="TailScaleMs"/>, shape
/// <see cref="TailShape"/> (smaller is heavier), capped at <see cref="MaxLatencyMs"/>.
/// </remarks>
public sealed record EndpointProfile
{
    /// <summary>The endpoint name written in the <c>endpoint</c> field, e.g. <c>legacy</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Median of the lognormal latency body in milliseconds. Default 800.</summary>
    public double MedianLatencyMs { get; init; } = 800;

    /// <summary>Standard deviation of log(latency) of the body. Default 0.45 (p99 of the body ≈ 2.85 × median).</summary>
    public double LatencySigma { get; init; } = 0.45;

    /// <summary>Share of requests drawn from the heavy Pareto tail instead of the body. Default 0.01 (1 %).</summary>
    public double TailProbability { get; init; } = 0.01;

    /// <summary>Scale (minimum) of the Pareto tail in milliseconds. Default 2,500.</summary>
    public double TailScaleMs { get; init; } = 2_500;

    /// <summary>Shape of the Pareto tail; smaller is heavier. Default 1.6.</summary>
    public double TailShape { get; init; } = 1.6;

    /// <summary>No latency exceeds this (the router's own timeout). Default 60,000 ms.</summary>
    public double MaxLatencyMs { get; init; } = 60_000;

    /// <summary>Share of requests answered 500/502/503. Default 0.01 (1 %).</summary>
    public double ServerErrorRate { get; init; } = 0.01;

    /// <summary>Share of requests answered 429 (rate limited). Default 0.005 (0.5 %).</summary>
    public double RateLimitRate { get; init; } = 0.005;

    /// <summary>Share of requests that time out or fail in transport: half logged as 504 with
    /// <c>error_type: "timeout"</c>, half as status 0 with <c>error_type: "transport"</c>. Default 0.002 (0.2 %).</summary>
    public double TimeoutRate { get; init; } = 0.002;

    /// <summary>Price of one prompt (input) token in USD for a model of price factor 1. Default 0.000 000 5 ($0.50 per million).</summary>
    public double CostPerPromptTokenUsd { get; init; } = 0.5e-6;

    /// <summary>Price of one completion (output) token in USD for a model of price factor 1. Default 0.000 001 5 ($1.50 per million).</summary>
    public double CostPerCompletionTokenUsd { get; init; } = 1.5e-6;

    /// <summary>Multiplies the completion (output) tokens of every answer: above 1 a more verbose provider, which can cost
    /// more per request although it is cheaper per token. Default 1.</summary>
    public double CompletionTokenFactor { get; init; } = 1.0;

    /// <summary>Share of this endpoint's successful requests that a shadow run also sends to the other provider,
    /// each producing a <c>kind: "validation"</c> event. Default 0 (no shadow validation).</summary>
    public double ShadowValidationRate { get; init; }

    /// <summary>Share of shadow comparisons whose answer matches the other provider's. Default 0.997.</summary>
    public double AnswerMatchRate { get; init; } = 0.997;

    /// <summary>All error rates together (server errors, rate limits, timeouts).</summary>
    public double TotalErrorRate => ServerErrorRate + RateLimitRate + TimeoutRate;

    /// <summary>Throws when a value is outside its range, naming the property.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A rate outside 0..1, a non-positive latency parameter, or error rates adding up to more than 1.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Name);
        Positive(MedianLatencyMs, nameof(MedianLatencyMs));
        Positive(TailScaleMs, nameof(TailScaleMs));
        Positive(TailShape, nameof(TailShape));
        Positive(MaxLatencyMs, nameof(MaxLatencyMs));
        if (LatencySigma < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(LatencySigma), LatencySigma, $"{Name}: {nameof(LatencySigma)} must be >= 0");
        }
        Rate(TailProbability, nameof(TailProbability));
        Rate(ServerErrorRate, nameof(ServerErrorRate));
        Rate(RateLimitRate, nameof(RateLimitRate));
        Rate(TimeoutRate, nameof(TimeoutRate));
        Rate(TotalErrorRate, nameof(TotalErrorRate));
        Rate(ShadowValidationRate, nameof(ShadowValidationRate));
        Rate(AnswerMatchRate, nameof(AnswerMatchRate));
        Positive(CompletionTokenFactor, nameof(CompletionTokenFactor));
        if (CostPerPromptTokenUsd < 0 || CostPerCompletionTokenUsd < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(CostPerPromptTokenUsd), $"{Name}: token prices must be >= 0");
        }
    }

    private void Positive(double value, string name)
    {
        if (!(value > 0) || double.IsInfinity(value))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{Name}: {name} must be a finite number > 0");
        }
    }

    private void Rate(double value, string name)
    {
        if (!(value >= 0 && value <= 1))
        {
            throw new ArgumentOutOfRangeException(name, value, $"{Name}: {name} must be within 0..1");
        }
    }
}
