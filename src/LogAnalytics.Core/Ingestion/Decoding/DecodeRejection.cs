namespace LogAnalytics.Ingestion.Decoding;

/// <summary>Why a message was quarantined: a fixed <see cref="Reason"/> code (stable, for queries and alerts)
/// and a human <see cref="Detail"/>.</summary>
/// <param name="Reason">One of the <see cref="RejectionReasons"/> codes.</param>
/// <param name="Detail">What exactly was wrong, e.g. <c>latency_ms is -3</c>.</param>
public sealed record DecodeRejection(string Reason, string Detail)
{
    /// <inheritdoc />
    public override string ToString() => $"{Reason}: {Detail}";
}

/// <summary>The fixed set of quarantine reason codes.</summary>
public static class RejectionReasons
{
    /// <summary>The message is empty (null value or zero bytes).</summary>
    public const string Empty = "empty";
    /// <summary>The message is not valid UTF-8 JSON.</summary>
    public const string NotJson = "not_json";
    /// <summary>The message is JSON but not an object.</summary>
    public const string NotObject = "not_object";
    /// <summary>A required field is absent or null.</summary>
    public const string MissingField = "missing_field";
    /// <summary>A required field has the wrong JSON type or cannot be read as its type.</summary>
    public const string InvalidType = "invalid_type";
    /// <summary>A required field has a value outside its range (negative latency, status outside 0..999, weight outside 0..100).</summary>
    public const string OutOfRange = "out_of_range";
    /// <summary>The timestamp is before 2000 or more than a day in the future.</summary>
    public const string AbsurdTimestamp = "absurd_timestamp";
    /// <summary>The <c>kind</c> field names an event kind this version does not know.</summary>
    public const string UnknownKind = "unknown_kind";
    /// <summary>The message holds no JSON object at all: prose a router printed ("Request 4 succeeded"), not a
    /// broken event.</summary>
    public const string NotAnEvent = "not_an_event";
    /// <summary>The message is longer than <c>Ingestion:MaxMessageBytes</c>; its first bytes up to the limit are kept.</summary>
    public const string TooLarge = "too_large";
    /// <summary>A Kubernetes CRI partial line (<c>P</c>) whose final line (<c>F</c>) did not follow it.</summary>
    public const string PartialLine = "partial_line";
}
