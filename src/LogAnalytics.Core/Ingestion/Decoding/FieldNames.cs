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
    RetryAfterMs,
    RetryAfterSeconds,
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
        ["retryafterms"] = Field.RetryAfterMs,
        ["retryafter"] = Field.RetryAfterSeconds,
        ["retryafters"] = Field.RetryAfterSeconds,
        ["retryafterseconds"] = Field.RetryAfterSeconds,
        ["contentmatch"] = Field.ContentMatch,
        ["finishreasonmatch"] = Field.FinishReasonMatch,
        ["tokensmatch"] = Field.TokensMatch,
        ["modelfieldmatch"] = Field.ModelFieldMatch,
        ["similarity"] = Field.Similarity,
        ["weight"] = Field.Weight,
        ["weightpercent"] = Field.Weight,
    };

    /// <summary>Known fields' names as routers spell them (snake_case, camelCase, PascalCase), as UTF-8 and as the
    /// string to reuse, so a known name costs no allocation.</summary>
    private static readonly (byte[] Utf8, string Name)[][] Spellings = BuildSpellings();

    private static (byte[] Utf8, string Name)[][] BuildSpellings()
    {
        var table = new List<(byte[], string)>[(int)Field.Count];
        for (var i = 0; i < table.Length; i++)
        {
            table[i] = [];
        }
        foreach (var snake in new[]
        {
            "kind", "timestamp", "endpoint", "latency_ms", "status_code", "experiment", "variant", "request_id", "model",
            "hash_bucket", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "ttft_ms", "stream", "error_type",
            "error", "retry_count", "retry_after_ms", "retry_after", "retry_after_s", "retry_after_seconds", "content_match", "finish_reason_match", "tokens_match", "model_field_match", "similarity",
            "weight", "weight_percent",
        })
        {
            var parts = snake.Split('_');
            var camel = parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
            var pascal = char.ToUpperInvariant(camel[0]) + camel[1..];
            var field = Lookup(snake);
            foreach (var spelling in new[] { snake, camel, pascal }.Distinct())
            {
                table[(int)field].Add((System.Text.Encoding.UTF8.GetBytes(spelling), spelling));
            }
        }
        return table.Select(t => t.ToArray()).ToArray();
    }

    /// <summary>The folded names (lower case, no '_' or '-') as ASCII bytes in an open-addressing table, so an
    /// unescaped name is looked up from its bytes without building a string or hashing UTF-16.</summary>
    private static readonly (byte[]? Folded, Field Field)[] ByFoldedBytes = BuildFoldedTable();

    private const int FoldedTableMask = 127;

    private static (byte[]?, Field)[] BuildFoldedTable()
    {
        var table = new (byte[]?, Field)[FoldedTableMask + 1];
        foreach (var (name, field) in ByFoldedName)
        {
            var bytes = System.Text.Encoding.ASCII.GetBytes(name);
            var slot = FoldedHash(bytes) & FoldedTableMask;
            while (table[slot].Item1 is not null)
            {
                slot = (slot + 1) & FoldedTableMask;
            }
            table[slot] = (bytes, field);
        }
        return table;
    }

    private static int FoldedHash(ReadOnlySpan<byte> folded)
    {
        var hash = (uint)folded.Length;
        foreach (var b in folded)
        {
            hash = (hash * 31) + b;
        }
        return (int)(hash ^ (hash >> 7));
    }

    /// <summary>Looks up an unescaped property name from its UTF-8 bytes. False (and no answer) when the name is
    /// not plain ASCII, so the caller falls back to <see cref="Lookup(string)"/> on the decoded string.</summary>
    public static bool TryLookupAscii(ReadOnlySpan<byte> utf8, out Field field)
    {
        Span<byte> folded = stackalloc byte[64];
        var n = 0;
        foreach (var b in utf8)
        {
            if (b >= 0x80)
            {
                field = Field.Unknown;
                return false;
            }
            if (b is (byte)'_' or (byte)'-')
            {
                continue;
            }
            if (n == folded.Length)
            {
                field = Field.Unknown; // longer than any known name, as in Lookup(string)
                return true;
            }
            folded[n++] = (byte)(b is >= (byte)'A' and <= (byte)'Z' ? b + 32 : b);
        }
        field = Field.Unknown;
        var key = folded[..n];
        for (var slot = FoldedHash(key) & FoldedTableMask; ByFoldedBytes[slot].Folded is { } candidate; slot = (slot + 1) & FoldedTableMask)
        {
            if (key.SequenceEqual(candidate))
            {
                field = ByFoldedBytes[slot].Field;
                break;
            }
        }
        return true;
    }

    /// <summary>The name of a known field as spelled in the message: a cached string for the usual spellings.</summary>
    public static string NameOf(Field field, ReadOnlySpan<byte> utf8)
    {
        foreach (var (bytes, name) in Spellings[(int)field])
        {
            if (utf8.SequenceEqual(bytes))
            {
                return name;
            }
        }
        return System.Text.Encoding.UTF8.GetString(utf8);
    }

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

/// <summary>One JSON value as read: strings unescaped, numbers with their text, objects/arrays as raw JSON.
/// Mutable, so the decoder marks a value used in place in its field table instead of copying it.</summary>
internal record struct FieldValue(ValueKind Kind, string? Text, double Number, string? Raw)
{
    /// <summary>The property name as the router spelled it.</summary>
    public string? Name { get; set; }

    /// <summary>Whether the event took this value (otherwise it is kept in the attributes).</summary>
    public bool Used { get; set; }

    /// <summary>Where a number's text starts in the message (its text is read from there only when needed).</summary>
    public int RawStart { get; init; }

    /// <summary>The length of a number's text in the message.</summary>
    public int RawLength { get; init; }

    /// <summary>A timestamp string in the common UTC spelling, already parsed while reading (its <see cref="Text"/>
    /// is then not made): the UTC ticks are in <see cref="Ticks"/>.</summary>
    public bool IsParsedTimestamp { get; init; }

    /// <summary>The UTC ticks of a <see cref="IsParsedTimestamp"/> value.</summary>
    public long Ticks { get; init; }

    public readonly bool TryNumber(out double value)
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

    public readonly string Describe() => Kind switch
    {
        ValueKind.String => $"\"{Text}\"",
        ValueKind.Number => Text ?? "a number",
        ValueKind.Boolean => Number != 0 ? "true" : "false",
        ValueKind.Null => "null",
        ValueKind.Structure => Raw is { Length: > 0 } r && r[0] == '[' ? "an array" : "an object",
        _ => "absent",
    };
}
