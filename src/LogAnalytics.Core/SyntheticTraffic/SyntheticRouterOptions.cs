namespace LogAnalytics.SyntheticTraffic;

/// <summary>Settings of a <see cref="SyntheticRouter"/>. Two routers with equal options produce identical bytes.</summary>
public sealed record SyntheticRouterOptions
{
    /// <summary>The traffic to simulate. Default <see cref="TrafficScenario.Healthy"/>.</summary>
    public TrafficScenario Scenario { get; init; } = TrafficScenario.Healthy;

    /// <summary>The random seed. Default 1.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>The timestamp of the first message; message <c>n</c> is stamped
    /// <c>Start + n / <see cref="EventsPerSecond"/></c>. Required: the generator never reads a clock, so the caller
    /// chooses (the demo passes the current time, tests a fixed instant).</summary>
    public required DateTimeOffset Start { get; init; }

    /// <summary>The simulated traffic rate, which spaces the timestamps. Default 2,000 events per second.</summary>
    public double EventsPerSecond { get; init; } = 2_000;

    /// <summary>The share of messages replaced by malformed ones (truncated JSON, not an object, a missing or
    /// negative <c>latency_ms</c>, plain text) that the decoder must quarantine. Default 0. The requests underneath
    /// do not change with it: the same seed yields the same valid events at the same positions.</summary>
    public double MalformedFraction { get; init; }

    /// <summary>Whether the first message is a <c>kind: "stage"</c> event announcing
    /// <see cref="TrafficScenario.WeightPercent"/>. Default <see langword="true"/>.</summary>
    public bool AnnounceStage { get; init; } = true;
}

/// <summary>What a synthetic message is.</summary>
public enum SyntheticMessageKind
{
    /// <summary>A <c>kind: "request"</c> event (the default kind, so the field is not written).</summary>
    Request,

    /// <summary>A <c>kind: "stage"</c> event announcing the canary weight.</summary>
    Stage,

    /// <summary>A deliberately malformed message the decoder must reject.</summary>
    Malformed,

    /// <summary>A <c>kind: "validation"</c> event: the shadow comparison of a canary request with the baseline's answer.</summary>
    Validation,
}

/// <summary>One generated message.</summary>
/// <param name="Sequence">0-based position in the stream.</param>
/// <param name="Timestamp">The timestamp written in the message (also for malformed ones, as the Kafka timestamp).</param>
/// <param name="Key">The Kafka key: the request id (the experiment for a stage event), UTF-8.</param>
/// <param name="Value">The message: one line of UTF-8 JSON, without a newline.</param>
/// <param name="Kind">What the message is.</param>
/// <param name="Variant"><c>baseline</c> or <c>canary</c> for a request (also when it was then made malformed); otherwise <see langword="null"/>.</param>
public readonly record struct SyntheticMessage(long Sequence, DateTimeOffset Timestamp, byte[] Key, byte[] Value, SyntheticMessageKind Kind, string? Variant);
