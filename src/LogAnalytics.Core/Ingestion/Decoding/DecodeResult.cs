using System.Diagnostics.CodeAnalysis;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>The outcome of decoding one message: an <see cref="Event"/> or a <see cref="Rejection"/>, never both.</summary>
public readonly record struct DecodeResult
{
    private DecodeResult(TrafficEvent? evt, DecodeRejection? rejection)
    {
        Event = evt;
        Rejection = rejection;
    }

    /// <summary>The decoded event, when the message was accepted.</summary>
    public TrafficEvent? Event { get; }

    /// <summary>Why the message goes to quarantine, when it was rejected.</summary>
    public DecodeRejection? Rejection { get; }

    /// <summary>Whether the message decoded into an event.</summary>
    [MemberNotNullWhen(true, nameof(Event))]
    [MemberNotNullWhen(false, nameof(Rejection))]
    public bool IsAccepted => Event is not null;

    /// <summary>An accepted message.</summary>
    public static DecodeResult Accept(TrafficEvent evt) => new(evt, null);

    /// <summary>A rejected message.</summary>
    public static DecodeResult Reject(DecodeRejection rejection) => new(null, rejection);

    /// <summary>A rejected message.</summary>
    public static DecodeResult Reject(string reason, string detail) => new(null, new DecodeRejection(reason, detail));
}

/// <summary>The two sides of an experiment.</summary>
public static class Variants
{
    /// <summary>The endpoint traffic is moving away from.</summary>
    public const string Baseline = "baseline";

    /// <summary>The endpoint traffic is moving to.</summary>
    public const string Canary = "canary";
}
