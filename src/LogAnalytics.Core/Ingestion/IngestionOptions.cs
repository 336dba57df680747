using System.ComponentModel.DataAnnotations;

namespace LogAnalytics.Ingestion;

/// <summary>Configuration section <c>Ingestion</c>: how events are batched into DuckDB.</summary>
public sealed class IngestionOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Ingestion";

    /// <summary><c>Ingestion:BatchMaxEvents</c>: store a batch once it holds this many messages. Default 5000.</summary>
    [Range(1, 1_000_000)]
    public int BatchMaxEvents { get; set; } = 5000;

    /// <summary><c>Ingestion:BatchMaxDelayMs</c>: store a batch at the latest this long after its first message,
    /// so an event is queryable within about a second at low traffic. Default 500.</summary>
    [Range(1, 600_000)]
    public int BatchMaxDelayMs { get; set; } = 500;

    /// <summary><c>Ingestion:MaxFutureSkewMinutes</c>: timestamps further ahead of the worker's clock are quarantined
    /// as absurd. Default 1440 (a day).</summary>
    [Range(1, 525_600)]
    public int MaxFutureSkewMinutes { get; set; } = 1440;

    /// <summary><c>Ingestion:MaxMessageBytes</c>: longer messages (and replayed lines) are quarantined as
    /// <c>too_large</c>, keeping their first bytes up to this limit and their true length in the detail.
    /// Default 1048576 (1 MiB).</summary>
    [Range(1024, 64 << 20)]
    public int MaxMessageBytes { get; set; } = Decoding.EventDecoder.DefaultMaxMessageBytes;

    /// <summary><c>Ingestion:EventPath</c>: where the event sits in an envelope the decoder does not recognise by
    /// itself, as dot-separated property names (<c>message</c>, <c>payload.event</c>); the value there may be the
    /// event object or a string holding the log line. Default none (Docker, Fluent Bit, Vector, Filebeat, Logstash
    /// and CRI envelopes are recognised without it).</summary>
    public string? EventPath { get; set; }

    /// <summary>The decoder these settings describe.</summary>
    public Decoding.EventDecoder CreateDecoder(TimeProvider? clock = null) =>
        new(clock, TimeSpan.FromMinutes(MaxFutureSkewMinutes), MaxMessageBytes, EventPath);
}
