using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>
/// Decodes one router log message (a UTF-8 JSON object) into a <see cref="TrafficEvent"/>, or says why it cannot.
/// Pure and thread-safe: no I/O, and the only clock it reads is the one it is given (to reject absurd timestamps).
/// </summary>
/// <remarks>
/// Tolerant of what routers really send: field names match in snake_case, camelCase or PascalCase
/// (<c>latency_ms</c>, <c>latencyMs</c>, <c>LatencyMs</c>); numbers may arrive as numeric strings; timestamps are
/// ISO-8601 (an offset or <c>Z</c>; none means UTC) or epoch seconds, milliseconds, microseconds or nanoseconds.
/// Fields the contract does not name, and optional fields whose value has the wrong type, are kept verbatim in
/// <see cref="TrafficEvent.Attributes"/>; nothing in a valid event is dropped.
/// </remarks>
public sealed class EventDecoder
{
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TimeProvider _clock;
    private readonly TimeSpan _maxFutureSkew;

    /// <summary>Creates a decoder.</summary>
    /// <param name="clock">The clock used to reject timestamps in the future; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="maxFutureSkew">How far ahead of <paramref name="clock"/> a timestamp may be; default one day.</param>
    public EventDecoder(TimeProvider? clock = null, TimeSpan? maxFutureSkew = null)
    {
        _clock = clock ?? TimeProvider.System;
        _maxFutureSkew = maxFutureSkew ?? TimeSpan.FromDays(1);
    }

    /// <summary>Decodes a message value.</summary>
    /// <param name="utf8Json">The message bytes; <see langword="null"/> or empty is rejected as <c>empty</c>.</param>
    /// <returns>The event, or the rejection that sends the message to quarantine.</returns>
    public DecodeResult Decode(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty || IsWhiteSpace(utf8Json))
        {
            return DecodeResult.Reject(RejectionReasons.Empty, "the message has no content");
        }

        var fields = new FieldValue[(int)Field.Count];
        ArrayBufferWriter<byte>? attributes = null;
        Utf8JsonWriter? attributesWriter = null;
        try
        {
            var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read())
            {
                return DecodeResult.Reject(RejectionReasons.NotJson, "the message holds no JSON value");
            }
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return DecodeResult.Reject(RejectionReasons.NotObject, $"the message is a JSON {Describe(reader.TokenType)}, not an object");
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString()!;
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                var value = ReadValue(ref reader, utf8Json, start);
                var field = FieldNames.Lookup(name);
                if (field != Field.Unknown && fields[(int)field].Kind == ValueKind.Absent)
                {
                    fields[(int)field] = value with { Name = name };
                }
                else
                {
                    attributesWriter ??= StartAttributes(out attributes);
                    attributesWriter.WritePropertyName(name);
                    attributesWriter.WriteRawValue(utf8Json[start..(int)reader.BytesConsumed], skipInputValidation: true);
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                return DecodeResult.Reject(RejectionReasons.NotJson, "the JSON object is not closed, or more follows it");
            }
        }
        catch (JsonException ex)
        {
            return DecodeResult.Reject(RejectionReasons.NotJson, $"invalid JSON at byte {ex.BytePositionInLine}: {FirstSentence(ex.Message)}");
        }
        catch (InvalidOperationException ex)
        {
            return DecodeResult.Reject(RejectionReasons.NotJson, $"invalid JSON: {FirstSentence(ex.Message)}");
        }

        var context = new DecodeContext(fields, attributesWriter, attributes);
        return context.Build(this);
    }

    private static Utf8JsonWriter StartAttributes(out ArrayBufferWriter<byte> buffer)
    {
        buffer = new ArrayBufferWriter<byte>(256);
        var writer = new Utf8JsonWriter(buffer);
        writer.WriteStartObject();
        return writer;
    }

    private static FieldValue ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int start)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return new FieldValue(ValueKind.String, reader.GetString(), 0, Raw: null);
            case JsonTokenType.Number:
                var raw = Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
                return new FieldValue(ValueKind.Number, raw, reader.TryGetDouble(out var d) ? d : double.NaN, Raw: null);
            case JsonTokenType.True:
                return new FieldValue(ValueKind.Boolean, null, 1, Raw: null);
            case JsonTokenType.False:
                return new FieldValue(ValueKind.Boolean, null, 0, Raw: null);
            case JsonTokenType.Null:
                return new FieldValue(ValueKind.Null, null, 0, Raw: null);
            default:
                reader.Skip();
                return new FieldValue(ValueKind.Structure, null, 0, Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]));
        }
    }

    private static bool IsWhiteSpace(ReadOnlySpan<byte> bytes)
    {
        foreach (var b in bytes)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
            {
                return false;
            }
        }
        return true;
    }

    private static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.StartArray => "array",
        JsonTokenType.String => "string",
        JsonTokenType.Number => "number",
        JsonTokenType.True or JsonTokenType.False => "boolean",
        JsonTokenType.Null => "null",
        _ => token.ToString(),
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message.TrimEnd('.');
    }

    /// <summary>The decoded fields of one message, turned into an event.</summary>
    private sealed class DecodeContext(FieldValue[] fields, Utf8JsonWriter? attributesWriter, ArrayBufferWriter<byte>? attributes)
    {
        private Utf8JsonWriter? _writer = attributesWriter;
        private ArrayBufferWriter<byte>? _buffer = attributes;

        public DecodeResult Build(EventDecoder decoder)
        {
            var kindValue = Get(Field.Kind);
            var kind = kindValue.Kind switch
            {
                ValueKind.Absent or ValueKind.Null => "request",
                ValueKind.String => kindValue.Text!.Trim().ToLowerInvariant(),
                _ => null,
            };
            if (kind is null)
            {
                return DecodeResult.Reject(RejectionReasons.InvalidType, $"{kindValue.Name} must be a string such as \"request\"");
            }

            var timestamp = decoder.RequireTimestamp(Get(Field.Timestamp), out var rejection);
            if (rejection is not null)
            {
                return DecodeResult.Reject(rejection);
            }

            return kind switch
            {
                "request" => BuildRequest(timestamp),
                "validation" => BuildValidation(timestamp),
                "stage" => BuildStage(timestamp),
                _ => DecodeResult.Reject(RejectionReasons.UnknownKind,
                    $"kind \"{kindValue.Text}\" is not one of request, validation, stage"),
            };
        }

        private DecodeResult BuildRequest(DateTimeOffset timestamp)
        {
            if (!RequireString(Field.Endpoint, "endpoint", out var endpoint, out var rejection))
            {
                return DecodeResult.Reject(rejection!);
            }
            if (!RequireNumber(Field.LatencyMs, "latency_ms", out var latency, out rejection))
            {
                return DecodeResult.Reject(rejection!);
            }
            if (latency < 0 || double.IsInfinity(latency))
            {
                return DecodeResult.Reject(RejectionReasons.OutOfRange, $"latency_ms is {latency.ToString(CultureInfo.InvariantCulture)}; it must be a finite number >= 0");
            }
            if (!RequireNumber(Field.StatusCode, "status_code", out var status, out rejection))
            {
                return DecodeResult.Reject(rejection!);
            }
            if (status != Math.Floor(status))
            {
                return DecodeResult.Reject(RejectionReasons.InvalidType, $"status_code is {status.ToString(CultureInfo.InvariantCulture)}; it must be an integer");
            }
            if (status is < 0 or > 999)
            {
                return DecodeResult.Reject(RejectionReasons.OutOfRange, $"status_code is {status.ToString(CultureInfo.InvariantCulture)}; it must be 0..999");
            }

            var evt = new RequestEvent
            {
                Timestamp = timestamp,
                Endpoint = endpoint!,
                LatencyMs = latency,
                StatusCode = (int)status,
                Experiment = OptionalString(Field.Experiment),
                Variant = OptionalVariant(),
                RequestId = OptionalString(Field.RequestId),
                Model = OptionalString(Field.Model),
                HashBucket = OptionalInteger(Field.HashBucket),
                PromptTokens = OptionalInteger(Field.PromptTokens),
                CompletionTokens = OptionalInteger(Field.CompletionTokens),
                TotalTokens = OptionalInteger(Field.TotalTokens),
                CostUsd = OptionalNumber(Field.CostUsd),
                TtftMs = OptionalNumber(Field.TtftMs),
                Stream = OptionalBoolean(Field.Stream),
                ErrorType = OptionalString(Field.ErrorType),
                Error = OptionalText(Field.Error),
                RetryCount = (int?)OptionalInteger(Field.RetryCount),
            };
            KeepUnused(Field.Kind, Field.Timestamp, Field.Endpoint, Field.LatencyMs, Field.StatusCode, Field.Experiment, Field.Variant,
                Field.RequestId, Field.Model, Field.HashBucket, Field.PromptTokens, Field.CompletionTokens, Field.TotalTokens,
                Field.CostUsd, Field.TtftMs, Field.Stream, Field.ErrorType, Field.Error, Field.RetryCount);
            return DecodeResult.Accept(evt with { Attributes = FinishAttributes() });
        }

        private DecodeResult BuildValidation(DateTimeOffset timestamp)
        {
            if (!RequireString(Field.RequestId, "request_id", out var requestId, out var rejection))
            {
                return DecodeResult.Reject(rejection!);
            }
            var evt = new ValidationEvent
            {
                Timestamp = timestamp,
                RequestId = requestId!,
                Experiment = OptionalString(Field.Experiment),
                Endpoint = OptionalString(Field.Endpoint),
                ContentMatch = OptionalBoolean(Field.ContentMatch),
                FinishReasonMatch = OptionalBoolean(Field.FinishReasonMatch),
                TokensMatch = OptionalBoolean(Field.TokensMatch),
                ModelFieldMatch = OptionalBoolean(Field.ModelFieldMatch),
                Similarity = OptionalNumber(Field.Similarity),
            };
            if (evt is { ContentMatch: null, FinishReasonMatch: null, TokensMatch: null, ModelFieldMatch: null, Similarity: null })
            {
                return DecodeResult.Reject(RejectionReasons.MissingField,
                    "a validation event needs at least one of content_match, finish_reason_match, tokens_match, model_field_match, similarity");
            }
            if (evt.Similarity is < 0 or > 1)
            {
                return DecodeResult.Reject(RejectionReasons.OutOfRange, $"similarity is {evt.Similarity.Value.ToString(CultureInfo.InvariantCulture)}; it must be 0..1");
            }
            KeepUnused(Field.Kind, Field.Timestamp, Field.RequestId, Field.Experiment, Field.Endpoint, Field.ContentMatch,
                Field.FinishReasonMatch, Field.TokensMatch, Field.ModelFieldMatch, Field.Similarity);
            return DecodeResult.Accept(evt with { Attributes = FinishAttributes() });
        }

        private DecodeResult BuildStage(DateTimeOffset timestamp)
        {
            if (!RequireNumber(Field.Weight, "weight", out var weight, out var rejection))
            {
                return DecodeResult.Reject(rejection!);
            }
            if (weight is < 0 or > 100 || double.IsNaN(weight))
            {
                return DecodeResult.Reject(RejectionReasons.OutOfRange, $"weight is {weight.ToString(CultureInfo.InvariantCulture)}; it is a percentage, 0..100");
            }
            var evt = new StageEvent { Timestamp = timestamp, WeightPercent = weight, Experiment = OptionalString(Field.Experiment) };
            KeepUnused(Field.Kind, Field.Timestamp, Field.Weight, Field.Experiment);
            return DecodeResult.Accept(evt with { Attributes = FinishAttributes() });
        }

        private FieldValue Get(Field field) => fields[(int)field];

        private bool RequireString(Field field, string name, out string? value, out DecodeRejection? rejection)
        {
            var v = Get(field);
            value = null;
            rejection = null;
            switch (v.Kind)
            {
                case ValueKind.Absent or ValueKind.Null:
                    rejection = new DecodeRejection(RejectionReasons.MissingField, $"{name} is required");
                    return false;
                case ValueKind.String when !string.IsNullOrWhiteSpace(v.Text):
                    value = v.Text!.Trim();
                    fields[(int)field] = v with { Used = true };
                    return true;
                case ValueKind.String:
                    rejection = new DecodeRejection(RejectionReasons.MissingField, $"{name} is empty");
                    return false;
                default:
                    rejection = new DecodeRejection(RejectionReasons.InvalidType, $"{v.Name} must be a string, not {v.Describe()}");
                    return false;
            }
        }

        private bool RequireNumber(Field field, string name, out double value, out DecodeRejection? rejection)
        {
            var v = Get(field);
            rejection = null;
            if (v.Kind is ValueKind.Absent or ValueKind.Null)
            {
                value = double.NaN;
                rejection = new DecodeRejection(RejectionReasons.MissingField, $"{name} is required");
                return false;
            }
            if (!v.TryNumber(out value))
            {
                rejection = new DecodeRejection(RejectionReasons.InvalidType, $"{v.Name} must be a number, not {v.Describe()}");
                return false;
            }
            fields[(int)field] = v with { Used = true };
            return true;
        }

        private string? OptionalString(Field field)
        {
            var v = Get(field);
            if (v.Kind == ValueKind.String && !string.IsNullOrWhiteSpace(v.Text))
            {
                fields[(int)field] = v with { Used = true };
                return v.Text!.Trim();
            }
            if (v.Kind == ValueKind.Number)
            {
                fields[(int)field] = v with { Used = true };
                return v.Text;
            }
            return null;
        }

        private string? OptionalText(Field field)
        {
            var v = Get(field);
            switch (v.Kind)
            {
                case ValueKind.Structure:
                    fields[(int)field] = v with { Used = true };
                    return v.Raw;
                case ValueKind.Boolean:
                    fields[(int)field] = v with { Used = true };
                    return v.Number != 0 ? "true" : "false";
                default:
                    return OptionalString(field);
            }
        }

        private double? OptionalNumber(Field field)
        {
            var v = Get(field);
            if (v.TryNumber(out var d) && !double.IsInfinity(d))
            {
                fields[(int)field] = v with { Used = true };
                return d;
            }
            return null;
        }

        private long? OptionalInteger(Field field)
        {
            var v = Get(field);
            if (v.TryNumber(out var d) && d == Math.Floor(d) && Math.Abs(d) < 9e15)
            {
                fields[(int)field] = v with { Used = true };
                return (long)d;
            }
            return null;
        }

        private bool? OptionalBoolean(Field field)
        {
            var v = Get(field);
            bool? result = v.Kind switch
            {
                ValueKind.Boolean => v.Number != 0,
                ValueKind.Number when v.Number is 0 or 1 => v.Number == 1,
                ValueKind.String => v.Text!.Trim().ToLowerInvariant() switch
                {
                    "true" or "1" or "yes" => true,
                    "false" or "0" or "no" => false,
                    _ => null,
                },
                _ => null,
            };
            if (result is not null)
            {
                fields[(int)field] = v with { Used = true };
            }
            return result;
        }

        private string? OptionalVariant()
        {
            var v = Get(Field.Variant);
            if (v.Kind != ValueKind.String)
            {
                return null;
            }
            var variant = v.Text!.Trim().ToLowerInvariant() switch
            {
                "baseline" or "control" => Variants.Baseline,
                "canary" or "treatment" => Variants.Canary,
                _ => null,
            };
            if (variant is not null)
            {
                fields[(int)Field.Variant] = v with { Used = true };
            }
            return variant;
        }

        /// <summary>Known fields whose value was not used (wrong type for an optional field, or a field of
        /// another kind) go to the attributes under the name the router gave them, so nothing is lost.</summary>
        private void KeepUnused(params Field[] consumed)
        {
            for (var i = 0; i < fields.Length; i++)
            {
                var v = fields[i];
                if (v.Kind is ValueKind.Absent || v.Used || (v.Kind == ValueKind.Null && Array.IndexOf(consumed, (Field)i) >= 0))
                {
                    continue;
                }
                if (i is (int)Field.Kind or (int)Field.Timestamp)
                {
                    continue;
                }
                _writer ??= StartAttributes(out _buffer);
                _writer.WritePropertyName(v.Name!);
                v.WriteTo(_writer);
            }
        }

        private string? FinishAttributes()
        {
            if (_writer is null)
            {
                return null;
            }
            _writer.WriteEndObject();
            _writer.Flush();
            var json = Encoding.UTF8.GetString(_buffer!.WrittenSpan);
            _writer.Dispose();
            return json;
        }
    }

    private DateTimeOffset RequireTimestamp(FieldValue value, out DecodeRejection? rejection)
    {
        rejection = null;
        DateTimeOffset? parsed = value.Kind switch
        {
            ValueKind.Absent or ValueKind.Null => null,
            ValueKind.Number => FromEpoch(value.Number),
            ValueKind.String => ParseTimestampText(value.Text!),
            _ => null,
        };
        if (value.Kind is ValueKind.Absent or ValueKind.Null)
        {
            rejection = new DecodeRejection(RejectionReasons.MissingField, "timestamp is required");
            return default;
        }
        if (parsed is null)
        {
            rejection = new DecodeRejection(RejectionReasons.InvalidType,
                $"{value.Name} {value.Describe()} is neither ISO-8601 nor epoch seconds/milliseconds");
            return default;
        }
        var ts = parsed.Value;
        var latest = _clock.GetUtcNow() + _maxFutureSkew;
        if (ts < Earliest || ts > latest)
        {
            rejection = new DecodeRejection(RejectionReasons.AbsurdTimestamp,
                $"timestamp {ts:O} is before 2000 or more than {_maxFutureSkew.TotalHours:0.#} h ahead of this worker's clock");
            return default;
        }
        return ts;
    }

    /// <summary>Epoch time in seconds, milliseconds, microseconds or nanoseconds, told apart by magnitude
    /// (seconds until the year 5138).</summary>
    private static DateTimeOffset? FromEpoch(double value)
    {
        if (double.IsNaN(value) || double.IsInfinity(value) || value < 0)
        {
            return null;
        }
        var ticksPerUnit = value switch
        {
            < 1e11 => TimeSpan.TicksPerSecond,
            < 1e14 => TimeSpan.TicksPerMillisecond,
            < 1e17 => 10.0,
            _ => 0.01,
        };
        var ticks = value * ticksPerUnit;
        if (ticks > DateTimeOffset.MaxValue.Ticks - DateTimeOffset.UnixEpoch.Ticks)
        {
            return null;
        }
        return DateTimeOffset.UnixEpoch.AddTicks((long)Math.Round(ticks));
    }

    private static DateTimeOffset? ParseTimestampText(string text)
    {
        text = text.Trim();
        if (text.Length == 0)
        {
            return null;
        }
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var epoch) && text.IndexOf('-', 1) < 0)
        {
            return FromEpoch(epoch);
        }
        text = TrimFraction(text);
        const DateTimeStyles styles = DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal | DateTimeStyles.AllowWhiteSpaces;
        if (text.Length >= 10 && char.IsAsciiDigit(text[0]) && text[4] == '-' &&
            DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, styles, out var ts))
        {
            return ts.ToUniversalTime();
        }
        return null;
    }

    /// <summary>.NET parses at most 7 fractional digits; Go and others write 9.</summary>
    private static string TrimFraction(string text)
    {
        // Shorter text cannot be a date with a fraction (and IndexOf would throw past its end).
        var dot = text.Length > 10 ? text.IndexOf('.', 10) : -1;
        if (dot < 0)
        {
            return text;
        }
        var end = dot + 1;
        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }
        return end - dot - 1 > 7 ? string.Concat(text.AsSpan(0, dot + 8), text.AsSpan(end)) : text;
    }
}
