namespace LogAnalytics.Ingestion.Decoding;

/// <summary>An event decoded from one router log message. One of <see cref="RequestEvent"/>,
/// <see cref="ValidationEvent"/> or <see cref="StageEvent"/>, told apart by the message's <c>kind</c> field.</summary>
public abstract record TrafficEvent
{
    /// <summary>When the event happened (the router's clock), normalised to UTC.</summary>
    public required DateTimeOffset Timestamp { get; init; }

    /// <summary>The experiment the event belongs to; <see langword="null"/> means the default experiment.</summary>
    public string? Experiment { get; init; }

    /// <summary>Fields the contract does not name, kept verbatim as a JSON object (never dropped);
    /// <see langword="null"/> when there were none.</summary>
    public string? Attributes { get; init; }
}

/// <summary>One proxied request (<c>kind: "request"</c>, the default).</summary>
public sealed record RequestEvent : TrafficEvent
{
    /// <summary>The backend that served the request, e.g. <c>legacy</c> or <c>holy_sheep</c>.</summary>
    public required string Endpoint { get; init; }

    /// <summary>End-to-end latency in milliseconds (&gt;= 0).</summary>
    public required double LatencyMs { get; init; }

    /// <summary>HTTP status; 0 (transport failure), 499 and 504 (timeouts) are stored like any other.</summary>
    public required int StatusCode { get; init; }

    /// <summary><c>baseline</c> or <c>canary</c> when the router says which; otherwise <see langword="null"/>.</summary>
    public string? Variant { get; init; }

    /// <summary>The router's request id, if any.</summary>
    public string? RequestId { get; init; }

    /// <summary>The model the request asked for, as the router spelled it.</summary>
    public string? Model { get; init; }

    /// <summary>The consistent-hash bucket the router used to split traffic.</summary>
    public long? HashBucket { get; init; }

    /// <summary>Input tokens.</summary>
    public long? PromptTokens { get; init; }

    /// <summary>Output tokens.</summary>
    public long? CompletionTokens { get; init; }

    /// <summary>Total tokens.</summary>
    public long? TotalTokens { get; init; }

    /// <summary>Cost of the request in USD when the router computed it.</summary>
    public double? CostUsd { get; init; }

    /// <summary>Time to first token in milliseconds (streaming).</summary>
    public double? TtftMs { get; init; }

    /// <summary>Whether the response was streamed.</summary>
    public bool? Stream { get; init; }

    /// <summary>The router's error class, e.g. <c>timeout</c>, <c>rate_limit</c>.</summary>
    public string? ErrorType { get; init; }

    /// <summary>The router's <c>error</c> field (a string, or the raw JSON of an object).</summary>
    public string? Error { get; init; }

    /// <summary>How many times the router retried.</summary>
    public int? RetryCount { get; init; }

    /// <summary>The upstream's Retry-After in milliseconds (a 429's back-off), from <c>retry_after_ms</c>, or from
    /// <c>retry_after</c> / <c>retry_after_s</c> / <c>retry_after_seconds</c> in seconds.</summary>
    public double? RetryAfterMs { get; init; }
}

/// <summary>A shadow-comparison result (<c>kind: "validation"</c>): the same request sent to both providers.</summary>
public sealed record ValidationEvent : TrafficEvent
{
    /// <summary>The request both providers answered.</summary>
    public required string RequestId { get; init; }

    /// <summary>The endpoint whose answer was compared with the baseline's, when the event names it.</summary>
    public string? Endpoint { get; init; }

    /// <summary>Whether the content matched.</summary>
    public bool? ContentMatch { get; init; }

    /// <summary>Whether the finish reason matched.</summary>
    public bool? FinishReasonMatch { get; init; }

    /// <summary>Whether the token counts matched.</summary>
    public bool? TokensMatch { get; init; }

    /// <summary>Whether the <c>model</c> field of the response matched.</summary>
    public bool? ModelFieldMatch { get; init; }

    /// <summary>Similarity of the two answers, 0..1.</summary>
    public double? Similarity { get; init; }
}

/// <summary>Rollout tooling announcing a stage change (<c>kind: "stage"</c>).</summary>
public sealed record StageEvent : TrafficEvent
{
    /// <summary>The canary's traffic weight in percent (0..100) from this moment on.</summary>
    public required double WeightPercent { get; init; }
}
