using System.Globalization;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>The fields of the event contract.</summary>
internal enum Field
{
    Unknown = -1,
    Kind,
    Timestamp,
    Endpoint,
    LatencyMs,
    StatusCode,
    Experiment,
    Variant,
    RequestId,
    Model,
    HashBucket,
    PromptTokens,
    CompletionTokens,
    TotalTokens,
    CostUsd,
    TtftMs,
    Stream,
    ErrorType,
    Error,
    RetryCount,
    ContentMatch,
    FinishReasonMatch,
    TokensMatch,
    ModelFieldMatch,
    Similarity,
    Weight,
    Count,
}

/// <summary>Maps a JSON property name in any accepted spelling to its <see cref="Field"/>:
/// snake_case, camelCase and PascalCase fold to the same key (case and '_' ignored).</summary>
internal static class FieldNames
{
    private static readonly Dictionary<string, Field> ByFoldedName = new(StringComparer.Ordinal)
    {
        ["kind"] = Field.Kind,
        ["timestamp"] = Field.Timestamp,
        ["endpoint"] = Field.Endpoint,
        ["latencyms"] = Field.LatencyMs,
        ["statuscode"] = Field.StatusCode,
        ["experiment"] = Field.Experiment,
        ["variant"] = Field.Variant,
        ["requestid"] = Field.RequestId,
        ["model"] = Field.Model,
        ["hashbucket"] = Field.HashBucket,
        ["prompttokens"] = Field.PromptTokens,
        ["completiontokens"] = Field.CompletionTokens,
        ["totaltokens"] = Field.TotalTokens,
        ["costusd"] = Field.CostUsd,
        ["ttftms"] = Field.TtftMs,
        ["stream"] = Field.Stream,
        ["errortype"] = Field.ErrorType,
        ["error"] = Field.Error,
        ["retrycount"] = Field.RetryCount,
        ["contentmatch"] = Field.ContentMatch,
        ["finishreasonmatch"] = Field.FinishReasonMatch,
        ["tokensmatch"] = Field.TokensMatch,
        ["modelfieldmatch"] = Field.ModelFieldMatch,
        ["similarity"] = Field.Similarity,
        ["weight"] = Field.Weight,
        ["weightpercent"] = Field.Weight,
    };

    public static Field Lookup(string name)
    {
        Span<char> folded = stackalloc char[Math.Min(name.Length, 64)];
        var n = 0;
        foreach (var c in name)
        {
            if (c is '_' or '-')
            {
                continue;
            }
            if (n == folded.Length)
            {
                return Field.Unknown;
            }
            folded[n++] = char.ToLowerInvariant(c);
        }
        var lookup = ByFoldedName.GetAlternateLookup<ReadOnlySpan<char>>();
        return lookup.TryGetValue(folded[..n], out var field) ? field : Field.Unknown;
    }
}

internal enum ValueKind
{
    Absent,
    Null,
    String,
    Number,
    Boolean,
    Structure,
}

/// <summary>One JSON value as read: strings unescaped, numbers with their text, objects/arrays as raw JSON.</summary>
internal readonly record struct FieldValue(ValueKind Kind, string? Text, double Number, string? Raw)
{
    /// <summary>The property name as the router spelled it.</summary>
    public string? Name { get; init; }

    /// <summary>Whether the event took this value (otherwise it is kept in the attributes).</summary>
    public bool Used { get; init; }

    public bool TryNumber(out double value)
    {
        switch (Kind)
        {
            case ValueKind.Number when !double.IsNaN(Number):
                value = Number;
                return true;
            case ValueKind.String when double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value)
                                       && !double.IsNaN(value) && !double.IsInfinity(value):
                return true;
            default:
                value = double.NaN;
                return false;
        }
    }

    public string Describe() => Kind switch
    {
        ValueKind.String => $"\"{Text}\"",
        ValueKind.Number => Text ?? "a number",
        ValueKind.Boolean => Number != 0 ? "true" : "false",
        ValueKind.Null => "null",
        ValueKind.Structure => Raw is { Length: > 0 } r && r[0] == '[' ? "an array" : "an object",
        _ => "absent",
    };

    public void WriteTo(System.Text.Json.Utf8JsonWriter writer)
    {
        switch (Kind)
        {
            case ValueKind.String: writer.WriteStringValue(Text); break;
            case ValueKind.Number: writer.WriteRawValue(Text!, skipInputValidation: true); break;
            case ValueKind.Boolean: writer.WriteBooleanValue(Number != 0); break;
            case ValueKind.Structure: writer.WriteRawValue(Raw!, skipInputValidation: true); break;
            default: writer.WriteNullValue(); break;
        }
    }
}
