using System.Globalization;
using System.Runtime.CompilerServices;
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
public sealed partial class EventDecoder
{
    private static readonly DateTimeOffset Earliest = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly TimeProvider _clock;
    private readonly TimeSpan _maxFutureSkew;
    private readonly bool _isSystemClock;

    /// <summary>The latest timestamp accepted at the last reading of the system clock (UTC ticks).</summary>
    private long _latestTicks = long.MinValue;

    /// <summary>Creates a decoder.</summary>
    /// <param name="clock">The clock used to reject timestamps in the future; default <see cref="TimeProvider.System"/>.</param>
    /// <param name="maxFutureSkew">How far ahead of <paramref name="clock"/> a timestamp may be; default one day.</param>
    /// <param name="maxMessageBytes">Longer messages are quarantined as <c>too_large</c>; default
    /// <see cref="DefaultMaxMessageBytes"/> (1 MiB).</param>
    /// <param name="eventPath">Where the event sits inside an envelope this decoder does not recognise by itself,
    /// as dot-separated property names (<c>message</c>, <c>payload.event</c>); default none.</param>
    public EventDecoder(TimeProvider? clock = null, TimeSpan? maxFutureSkew = null, int? maxMessageBytes = null, string? eventPath = null)
    {
        _clock = clock ?? TimeProvider.System;
        _isSystemClock = ReferenceEquals(_clock, TimeProvider.System);
        _maxFutureSkew = maxFutureSkew ?? TimeSpan.FromDays(1);
        MaxMessageBytes = maxMessageBytes ?? DefaultMaxMessageBytes;
        _eventPath = string.IsNullOrWhiteSpace(eventPath) ? null : eventPath.Trim().Split('.');
    }

    /// <summary>Whether flat objects are read by the scanner (default) or, like everything else, by
    /// <see cref="Utf8JsonReader"/>: tests compare the two paths.</summary>
    internal bool UseFlatScanner { get; init; } = true;

    /// <summary>Decodes one message value (a Kafka message, or one line of a replayed file): a bare JSON event, an
    /// event after a text prefix, a log shipper's envelope around one, or a Kubernetes CRI line.</summary>
    /// <param name="utf8Json">The message bytes; <see langword="null"/> or empty is rejected as <c>empty</c>.</param>
    /// <returns>The event, or the rejection that sends the message to quarantine.</returns>
    public DecodeResult Decode(ReadOnlySpan<byte> utf8Json)
    {
        if (utf8Json.IsEmpty || IsWhiteSpace(utf8Json))
        {
            return DecodeResult.Reject(RejectionReasons.Empty, "the message has no content");
        }
        if (utf8Json.Length > MaxMessageBytes)
        {
            return DecodeResult.Reject(RejectionReasons.TooLarge, string.Create(CultureInfo.InvariantCulture,
                $"the message is {utf8Json.Length} bytes, more than Ingestion:MaxMessageBytes ({MaxMessageBytes}); its first {MaxMessageBytes} bytes are kept"));
        }
        // A bare event (the common case) goes straight to the object decoder; anything else is unwrapped first.
        return utf8Json[0] == (byte)'{' ? DecodeJsonLine(utf8Json, null, 0) : DecodeLine(utf8Json, null, 0);
    }

    /// <summary>Decodes one JSON object as an event. <paramref name="envelope"/> (from a shipper's envelope around
    /// it) supplies a timestamp the event lacks and attributes the event does not have.</summary>
    private DecodeResult DecodeObject(ReadOnlySpan<byte> utf8Json, Envelope? envelope)
    {
        // Per-thread scratch space (the field table, the attributes buffer, remembered names and strings), reused
        // from message to message: decoding allocates little more than the strings and the event it returns.
        var state = DecodeState.ForCurrentThread();
        var fields = state.Fields;
        // A flat object of plain values (the common case) is read by a scanner of its own; anything it does not
        // handle (escapes, non-ASCII, nested values, comments, malformed JSON) is read again by Utf8JsonReader.
        if (!UseFlatScanner || !TryReadFlatObject(utf8Json, state))
        {
            state = DecodeState.ForCurrentThread();
            try
            {
                var reader = new Utf8JsonReader(utf8Json, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
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
                    // Plain ASCII names (all a router sends in practice) are looked up from their bytes, and a known
                    // spelling reuses a cached string; escaped or non-ASCII names take the general path. The thread
                    // remembers the names it has seen, so a router's usual names cost one comparison each.
                    string? name = null;
                    string? knownName = null;
                    Field field;
                    if (reader.ValueIsEscaped || !state.TryRecallName(reader.ValueSpan, out field, out knownName))
                    {
                        if (!reader.ValueIsEscaped && FieldNames.TryLookupAscii(reader.ValueSpan, out field))
                        {
                            knownName = field == Field.Unknown ? null : FieldNames.NameOf(field, reader.ValueSpan);
                            state.RememberName(reader.ValueSpan, field, knownName);
                        }
                        else
                        {
                            field = FieldNames.Lookup(name = reader.GetString()!);
                        }
                    }
                    var nameBytes = name is null ? reader.ValueSpan : default;
                    reader.Read();
                    var start = (int)reader.TokenStartIndex;
                    if (field != Field.Unknown && fields[(int)field].Kind == ValueKind.Absent)
                    {
                        ref var slot = ref fields[(int)field];
                        slot = ReadValue(ref reader, utf8Json, start, field, state);
                        slot.Name = name ?? knownName;
                    }
                    else
                    {
                        // Unknown (or repeated) fields are copied verbatim: the value's bytes as they are in the message.
                        SkipValue(ref reader);
                        if (name is null)
                        {
                            state.AppendAttributeName(nameBytes);
                        }
                        else
                        {
                            state.AppendAttributeName(name);
                        }
                        state.AppendAttributeRaw(utf8Json[start..(int)reader.BytesConsumed]);
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
        }

        if (envelope?.Timestamp is { } shipperTime && fields[(int)Field.Timestamp].Kind is ValueKind.Absent or ValueKind.Null)
        {
            fields[(int)Field.Timestamp] = shipperTime;
            envelope.TimestampUsed = true;
        }
        var context = new DecodeContext(fields, utf8Json, state);
        var result = context.Build(this);
        return envelope is null || !result.IsAccepted ? result : envelope.AddTo(result);
    }

    /// <summary>Skips a value that is only copied verbatim (an unknown or repeated field). Strings are still
    /// checked to be valid UTF-8, as reading them would have (the same exception, so the same rejection).</summary>
    private static void SkipValue(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject or JsonTokenType.StartArray:
                reader.Skip();
                break;
            case JsonTokenType.String when reader.ValueIsEscaped || !System.Text.Unicode.Utf8.IsValid(reader.ValueSpan):
                _ = reader.GetString();
                break;
        }
    }

    /// <summary>Reads the value of <paramref name="field"/> the reader is on. Short repeated strings (endpoint, model,
    /// experiment...) are shared through <paramref name="state"/>, except values unique per message (timestamp,
    /// request id); a timestamp in the common UTC spelling is parsed from its bytes, without a string.</summary>
    private static FieldValue ReadValue(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, int start, Field field, DecodeState state)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                if (reader.ValueIsEscaped)
                {
                    state.SawEscapedString = true;
                }
                else if (field == Field.Timestamp && TryParseUtcFast(reader.ValueSpan, out var ticks))
                {
                    return new FieldValue(ValueKind.String, null, 0, Raw: null) { IsParsedTimestamp = true, Ticks = ticks };
                }
                var text = field is not (Field.Timestamp or Field.RequestId) && !reader.ValueIsEscaped && state.TryInternValue(field, reader.ValueSpan, out var shared)
                    ? shared
                    : reader.GetString();
                return new FieldValue(ValueKind.String, text, 0, Raw: null);
            case JsonTokenType.Number:
                // The number's text is only needed in rare cases (kept in attributes, an error message, a number
                // given for a string field): remember where it is instead of copying it.
                return new FieldValue(ValueKind.Number, null, TryParsePlainNumber(reader.ValueSpan, out var plain) ? plain : reader.TryGetDouble(out var d) ? d : double.NaN, Raw: null)
                {
                    RawStart = start,
                    RawLength = (int)reader.BytesConsumed - start,
                };
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

    /// <summary>
    /// A JSON number's text as <see cref="Utf8JsonReader.TryGetDouble"/> reads it, when it is a plain decimal of at
    /// most 15 digits (what routers write: <c>815.9</c>, <c>0.004552</c>, <c>200</c>): its digits are an exact
    /// integer below 2^53 and the power of ten is exact, so one division gives the correctly rounded double, the same
    /// one the general parser gives. False for anything else (an exponent, more digits), left to the general parser.
    /// </summary>
    private static bool TryParsePlainNumber(ReadOnlySpan<byte> text, out double value)
    {
        var i = 0;
        var negative = text[0] == (byte)'-';
        if (negative)
        {
            i = 1;
        }
        long mantissa = 0;
        var digits = 0;
        var fractionDigits = -1;
        for (; i < text.Length; i++)
        {
            var d = (uint)(text[i] - '0');
            if (d <= 9)
            {
                mantissa = mantissa * 10 + d;
                digits++;
                if (fractionDigits >= 0)
                {
                    fractionDigits++;
                }
            }
            else if (text[i] == (byte)'.' && fractionDigits < 0)
            {
                fractionDigits = 0;
            }
            else
            {
                value = 0;
                return false; // an exponent
            }
        }
        if (digits is 0 or > 15 || fractionDigits == 0)
        {
            value = 0;
            return false;
        }
        value = fractionDigits > 0 ? mantissa / PowersOfTen[fractionDigits] : mantissa;
        value = negative ? -value : value;
        return true;
    }

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];

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
    private ref struct DecodeContext
    {
        private readonly FieldValue[] fields;
        private readonly ReadOnlySpan<byte> _json;
        private readonly DecodeState _state;

        public DecodeContext(FieldValue[] fields, ReadOnlySpan<byte> json, DecodeState state)
        {
            this.fields = fields;
            _json = json;
            _state = state;
        }

        public DecodeResult Build(EventDecoder decoder)
        {
            if (CheckStrings() is { } bad)
            {
                return DecodeResult.Reject(bad);
            }
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

            // The optional fields are read in this order (each marks its value used), then the unused ones go to the
            // attributes, and the event is made once, attributes included.
            var experiment = OptionalString(Field.Experiment);
            var variant = OptionalVariant();
            var requestId = OptionalString(Field.RequestId);
            var model = OptionalString(Field.Model);
            var hashBucket = OptionalInteger(Field.HashBucket);
            var promptTokens = OptionalInteger(Field.PromptTokens);
            var completionTokens = OptionalInteger(Field.CompletionTokens);
            var totalTokens = OptionalInteger(Field.TotalTokens);
            var costUsd = OptionalNumber(Field.CostUsd);
            var ttftMs = OptionalNumber(Field.TtftMs);
            var stream = OptionalBoolean(Field.Stream);
            var errorType = OptionalString(Field.ErrorType);
            var error = OptionalText(Field.Error);
            var retryCount = (int?)OptionalInteger(Field.RetryCount, int.MaxValue);
            var retryAfterMs = OptionalNonNegative(Field.RetryAfterMs) ?? OptionalNonNegative(Field.RetryAfterSeconds) * 1000;
            KeepUnused(RequestFields);
            return DecodeResult.Accept(new RequestEvent
            {
                Timestamp = timestamp,
                Endpoint = endpoint!,
                LatencyMs = latency,
                StatusCode = (int)status,
                Experiment = experiment,
                Variant = variant,
                RequestId = requestId,
                Model = model,
                HashBucket = hashBucket,
                PromptTokens = promptTokens,
                CompletionTokens = completionTokens,
                TotalTokens = totalTokens,
                CostUsd = costUsd,
                TtftMs = ttftMs,
                Stream = stream,
                ErrorType = errorType,
                Error = error,
                RetryCount = retryCount,
                RetryAfterMs = retryAfterMs,
                Attributes = FinishAttributes(),
            });
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
            KeepUnused(ValidationFields);
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
            KeepUnused(StageFields);
            return DecodeResult.Accept(evt with { Attributes = FinishAttributes() });
        }

        /// <summary>Fields stored as text columns: a NUL character would be cut by the database, and an identifier
        /// longer than <see cref="MaxIdentifierLength"/> is not an identifier.</summary>
        private static readonly Field[] TextColumns =
        [
            Field.Endpoint, Field.Experiment, Field.Variant, Field.RequestId, Field.Model, Field.ErrorType, Field.Error, Field.Kind,
        ];

        private readonly DecodeRejection? CheckStrings()
        {
            foreach (var field in TextColumns)
            {
                var v = fields[(int)field];
                if (v.Kind != ValueKind.String)
                {
                    continue;
                }
                if (field != Field.Error && v.Text!.Length > MaxIdentifierLength)
                {
                    return new DecodeRejection(RejectionReasons.OutOfRange, string.Create(CultureInfo.InvariantCulture,
                        $"{v.Name} is {v.Text.Length} characters long; identifiers are at most {MaxIdentifierLength}"));
                }
                if (_state.SawEscapedString && v.Text!.Contains('\0', StringComparison.Ordinal))
                {
                    return new DecodeRejection(RejectionReasons.InvalidType,
                        $"{v.Name} contains a NUL character (\\u0000), which would be cut when stored; the message is kept unaltered here");
                }
            }
            return null;
        }

        /// <summary>A field's value, with a number's text filled in from the message.</summary>
        private readonly FieldValue Get(Field field)
        {
            var v = fields[(int)field];
            return v.Kind == ValueKind.Number && v.Text is null
                ? v with { Text = Encoding.UTF8.GetString(_json.Slice(v.RawStart, v.RawLength)) }
                : v;
        }

        /// <summary>A field's value without a number's text (for the hot path: numbers read as numbers).</summary>
        private readonly FieldValue Peek(Field field) => fields[(int)field];

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
                    fields[(int)field].Used = true;
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
            var v = Peek(field);
            rejection = null;
            if (v.Kind is ValueKind.Absent or ValueKind.Null)
            {
                value = double.NaN;
                rejection = new DecodeRejection(RejectionReasons.MissingField, $"{name} is required");
                return false;
            }
            if (!v.TryNumber(out value))
            {
                rejection = new DecodeRejection(RejectionReasons.InvalidType, $"{v.Name} must be a number, not {Get(field).Describe()}");
                return false;
            }
            fields[(int)field].Used = true;
            return true;
        }

        private string? OptionalString(Field field)
        {
            var v = Get(field);
            if (v.Kind == ValueKind.String && !string.IsNullOrWhiteSpace(v.Text))
            {
                fields[(int)field].Used = true;
                return v.Text!.Trim();
            }
            if (v.Kind == ValueKind.Number)
            {
                fields[(int)field].Used = true;
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
                    fields[(int)field].Used = true;
                    return v.Raw;
                case ValueKind.Boolean:
                    fields[(int)field].Used = true;
                    return v.Number != 0 ? "true" : "false";
                default:
                    return OptionalString(field);
            }
        }

        private double? OptionalNumber(Field field)
        {
            var v = Peek(field);
            if (v.TryNumber(out var d) && !double.IsInfinity(d))
            {
                fields[(int)field].Used = true;
                return d;
            }
            return null;
        }

        /// <summary>A finite number >= 0; anything else stays unused (and so goes to the attributes).</summary>
        private double? OptionalNonNegative(Field field)
        {
            var v = Peek(field);
            if (v.TryNumber(out var d) && double.IsFinite(d) && d >= 0)
            {
                fields[(int)field].Used = true;
                return d;
            }
            return null;
        }

        private long? OptionalInteger(Field field, double limit = 9e15)
        {
            var v = Peek(field);
            if (v.TryNumber(out var d) && d == Math.Floor(d) && Math.Abs(d) <= limit)
            {
                fields[(int)field].Used = true;
                return (long)d;
            }
            return null;
        }

        private bool? OptionalBoolean(Field field)
        {
            var v = Peek(field);
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
                fields[(int)field].Used = true;
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
            var variant = v.Text switch
            {
                Variants.Baseline => Variants.Baseline,
                Variants.Canary => Variants.Canary,
                _ => v.Text!.Trim().ToLowerInvariant(),
            } switch
            {
                "baseline" or "control" => Variants.Baseline,
                "canary" or "treatment" => Variants.Canary,
                _ => null,
            };
            if (variant is not null)
            {
                fields[(int)Field.Variant].Used = true;
            }
            return variant;
        }

        /// <summary>Known fields whose value was not used (wrong type for an optional field, or a field of
        /// another kind) go to the attributes under the name the router gave them, so nothing is lost.</summary>
        private static readonly Field[] RequestFields =
        [
            Field.Kind, Field.Timestamp, Field.Endpoint, Field.LatencyMs, Field.StatusCode, Field.Experiment, Field.Variant,
            Field.RequestId, Field.Model, Field.HashBucket, Field.PromptTokens, Field.CompletionTokens, Field.TotalTokens,
            Field.CostUsd, Field.TtftMs, Field.Stream, Field.ErrorType, Field.Error, Field.RetryCount,
            Field.RetryAfterMs, Field.RetryAfterSeconds,
        ];

        private static readonly Field[] ValidationFields =
        [
            Field.Kind, Field.Timestamp, Field.RequestId, Field.Experiment, Field.Endpoint, Field.ContentMatch,
            Field.FinishReasonMatch, Field.TokensMatch, Field.ModelFieldMatch, Field.Similarity,
        ];

        private static readonly Field[] StageFields = [Field.Kind, Field.Timestamp, Field.Weight, Field.Experiment];

        private void KeepUnused(Field[] consumed)
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
                v = Get((Field)i);
                _state.AppendAttributeName(v.Name!);
                _state.AppendAttributeValue(v);
            }
        }

        private string? FinishAttributes()
        {
            return _state.FinishAttributes();
        }
    }

    private DateTimeOffset RequireTimestamp(FieldValue value, out DecodeRejection? rejection)
    {
        rejection = null;
        DateTimeOffset? parsed = value.Kind switch
        {
            _ when value.IsParsedTimestamp => new DateTimeOffset(value.Ticks, TimeSpan.Zero),
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
        if (ts < Earliest || IsAheadOfClock(ts))
        {
            rejection = new DecodeRejection(RejectionReasons.AbsurdTimestamp,
                $"timestamp {ts:O} is before 2000 or more than {_maxFutureSkew.TotalHours:0.#} h ahead of this worker's clock");
            return default;
        }
        return ts;
    }

    /// <summary>
    /// Whether <paramref name="ts"/> is more than the allowed skew ahead of the clock. The system clock is read only
    /// when a timestamp is later than the limit computed at the last reading: that limit only grows with time, so
    /// anything at or before it is also before the limit now (reading the clock cost a fifth of decoding a message
    /// on a virtual machine). Only a system clock stepped back (by NTP) lets a timestamp through that is up to that
    /// step later than the limit. Any other clock (a test's) is read for every message.
    /// </summary>
    private bool IsAheadOfClock(DateTimeOffset ts)
    {
        if (_isSystemClock && ts.UtcTicks <= Volatile.Read(ref _latestTicks))
        {
            return false;
        }
        var latest = _clock.GetUtcNow() + _maxFutureSkew;
        if (_isSystemClock)
        {
            Volatile.Write(ref _latestTicks, latest.UtcTicks);
        }
        return ts > latest;
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
        if (TryParseUtcFast(text, out var fast))
        {
            return fast;
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

    /// <summary>The string form of <see cref="TryParseUtcFast(ReadOnlySpan{byte}, out long)"/>.</summary>
    private static bool TryParseUtcFast(string t, out DateTimeOffset value)
    {
        value = default;
        if (t.Length < 20 || !System.Text.Ascii.IsValid(t))
        {
            return false; // every character of the spelling is ASCII
        }
        Span<byte> bytes = t.Length <= 128 ? stackalloc byte[t.Length] : new byte[t.Length];
        System.Text.Ascii.FromUtf16(t, bytes, out _);
        if (!TryParseUtcFast(bytes, out var ticks))
        {
            return false;
        }
        value = new DateTimeOffset(ticks, TimeSpan.Zero);
        return true;
    }

    /// <summary>
    /// The common spelling <c>yyyy-MM-ddTHH:mm:ss[.fraction]Z</c>, parsed without the general parser (which dominated
    /// decoding time), straight from the message's bytes. Gives exactly what the general path gives (fraction
    /// truncated to 7 digits), as UTC ticks; anything else, including out-of-range parts, is left to the general path.
    /// </summary>
    private static bool TryParseUtcFast(ReadOnlySpan<byte> t, out long ticks)
    {
        ticks = 0;
        if (t.Length < 20 || t[4] != (byte)'-' || t[7] != (byte)'-' || t[10] != (byte)'T' || t[13] != (byte)':' || t[16] != (byte)':' || t[^1] != (byte)'Z'
            || !TwoDigits(t, 5, out var month) || !TwoDigits(t, 8, out var day) || !TwoDigits(t, 11, out var hour)
            || !TwoDigits(t, 14, out var minute) || !TwoDigits(t, 17, out var second)
            || !TwoDigits(t, 0, out var century) || !TwoDigits(t, 2, out var yearInCentury))
        {
            return false;
        }
        var year = century * 100 + yearInCentury;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }
        long fraction = 0;
        if (t.Length > 20)
        {
            if (t[19] != (byte)'.' || t.Length == 21)
            {
                return false;
            }
            var digits = 0;
            for (var i = 20; i < t.Length - 1; i++)
            {
                var digit = (uint)(t[i] - '0');
                if (digit > 9)
                {
                    return false;
                }
                if (digits < 7)
                {
                    fraction = fraction * 10 + digit;
                    digits++;
                }
            }
            for (; digits < 7; digits++)
            {
                fraction *= 10;
            }
        }
        ticks = DaysSinceEpoch(year, month, day) * TimeSpan.TicksPerDay
            + ((hour * 60L + minute) * 60 + second) * TimeSpan.TicksPerSecond + fraction;
        return true;
    }

    private static readonly int[] DaysBeforeMonth = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

    /// <summary>Days from 0001-01-01 to the date (proleptic Gregorian, as <see cref="DateTime"/> counts).</summary>
    private static long DaysSinceEpoch(int year, int month, int day)
    {
        var y = year - 1;
        var days = y * 365L + y / 4 - y / 100 + y / 400 + DaysBeforeMonth[month - 1] + day - 1;
        return month > 2 && DateTime.IsLeapYear(year) ? days + 1 : days;
    }

    private static bool TwoDigits(ReadOnlySpan<byte> text, int at, out int value)
    {
        var a = text[at] - '0';
        var b = text[at + 1] - '0';
        value = a * 10 + b;
        return (uint)a <= 9 && (uint)b <= 9;
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

    /// <summary>Scratch space of one thread's decoder calls: the field table and the attributes being written.</summary>
    private sealed class DecodeState
    {
        [ThreadStatic]
        private static DecodeState? _current;

        /// <summary>The attributes object as UTF-8 JSON, written exactly as <see cref="Utf8JsonWriter"/> with default
        /// options would write it (names escaped by the default encoder, values copied verbatim).</summary>
        private byte[] _attributes = new byte[512];
        private int _length;

        public FieldValue[] Fields { get; } = new FieldValue[(int)Field.Count];

        /// <summary>Whether a known field's string had escapes (only then can it hold a NUL character).</summary>
        public bool SawEscapedString { get; set; }

        /// <summary>This thread's state, emptied for a new message.</summary>
        public static DecodeState ForCurrentThread()
        {
            var state = _current ??= new DecodeState();
            Array.Clear(state.Fields);
            state._length = 0;
            state.SawEscapedString = false;
            return state;
        }

        /// <summary>Starts an attribute: <c>{"name":</c> or <c>,"name":</c>. <paramref name="utf8"/> is an unescaped
        /// ASCII name from the message.</summary>
        public void AppendAttributeName(ReadOnlySpan<byte> utf8)
        {
            foreach (var b in utf8)
            {
                if (!IsPlainNameByte(b))
                {
                    AppendEscapedName(JsonEncodedText.Encode(utf8).EncodedUtf8Bytes);
                    return;
                }
            }
            AppendEscapedName(utf8);
        }

        /// <summary>Starts an attribute named by a decoded string (escaped or non-ASCII in the message).</summary>
        public void AppendAttributeName(string name) => AppendEscapedName(JsonEncodedText.Encode(name).EncodedUtf8Bytes);

        /// <summary>Letters, digits and <c>_ - .</c>: bytes the default encoder writes as they are.</summary>
        private static bool IsPlainNameByte(byte b) =>
            (uint)((b | 0x20) - 'a') <= 'z' - 'a' || (uint)(b - '0') <= 9 || b is (byte)'_' or (byte)'-' or (byte)'.';

        private void AppendEscapedName(ReadOnlySpan<byte> escaped)
        {
            var span = Grow(escaped.Length + 4);
            span[0] = _length == 0 ? (byte)'{' : (byte)',';
            span[1] = (byte)'"';
            escaped.CopyTo(span[2..]);
            span[escaped.Length + 2] = (byte)'"';
            span[escaped.Length + 3] = (byte)':';
            _length += escaped.Length + 4;
        }

        /// <summary>An attribute's value, verbatim.</summary>
        public void AppendAttributeRaw(ReadOnlySpan<byte> json)
        {
            json.CopyTo(Grow(json.Length));
            _length += json.Length;
        }

        /// <summary>A known field's value that the event did not take, as the writer wrote it.</summary>
        public void AppendAttributeValue(in FieldValue value)
        {
            switch (value.Kind)
            {
                case ValueKind.String:
                    AppendAttributeRaw("\""u8);
                    AppendAttributeRaw(JsonEncodedText.Encode(value.Text!).EncodedUtf8Bytes);
                    AppendAttributeRaw("\""u8);
                    break;
                case ValueKind.Number:
                    AppendAttributeText(value.Text!);
                    break;
                case ValueKind.Boolean:
                    AppendAttributeRaw(value.Number != 0 ? "true"u8 : "false"u8);
                    break;
                case ValueKind.Structure:
                    AppendAttributeText(value.Raw!);
                    break;
                default:
                    AppendAttributeRaw("null"u8);
                    break;
            }
        }

        private void AppendAttributeText(string text)
        {
            var span = Grow(Encoding.UTF8.GetMaxByteCount(text.Length));
            _length += Encoding.UTF8.GetBytes(text, span);
        }

        private Span<byte> Grow(int more)
        {
            if (_length + more > _attributes.Length)
            {
                Array.Resize(ref _attributes, Math.Max(_attributes.Length * 2, _length + more));
            }
            return _attributes.AsSpan(_length);
        }

        /// <summary>The attributes as JSON text, or null when no field went there.</summary>
        public string? FinishAttributes()
        {
            if (_length == 0)
            {
                return null;
            }
            Grow(1)[0] = (byte)'}';
            var json = _attributes.AsSpan(0, _length + 1);
            _length = 0;
            if (_attributes.Length > 1 << 16)
            {
                var text = Encoding.UTF8.GetString(json);
                _attributes = new byte[512]; // a huge message's attributes are not kept alive by this thread
                return text;
            }
            return TryInternRecent(AttributesSlot, json, out var shared) ? shared : Encoding.UTF8.GetString(json);
        }

        /// <summary>Property names seen on this thread (unescaped ASCII, up to 64 bytes), each in one of the four
        /// slots from its hash on: the field each names and the string of a known field's spelling.</summary>
        private readonly (byte[]? Utf8, Field Field, string? Name)[] _names = new (byte[]?, Field, string?)[256];

        private static int NameSlot(ReadOnlySpan<byte> utf8) =>
            ((utf8.Length * 7) + (utf8[0] * 31) + (utf8[^1] * 17) + utf8[utf8.Length >> 1]) & 255;

        /// <summary>What <see cref="FieldNames.TryLookupAscii"/> and <see cref="FieldNames.NameOf"/> said about these
        /// exact bytes before, if this thread remembers.</summary>
        public bool TryRecallName(ReadOnlySpan<byte> utf8, out Field field, out string? name)
        {
            if (utf8.Length is > 0 and <= 64)
            {
                var slot = NameSlot(utf8);
                for (var probe = 0; probe < 4; probe++)
                {
                    var entry = _names[(slot + probe) & 255];
                    if (entry.Utf8 is null)
                    {
                        break;
                    }
                    if (utf8.SequenceEqual(entry.Utf8))
                    {
                        field = entry.Field;
                        name = entry.Name;
                        return true;
                    }
                }
            }
            field = Field.Unknown;
            name = null;
            return false;
        }

        /// <summary>The names of the flat objects this thread scanned, by position: each name's bytes with the closing
        /// quote (in a buffer reused when the name at that position changes), the field it names and the string of a
        /// known field's spelling.</summary>
        private readonly (byte[]? Quoted, int Length, Field Field, string? Name)[] _namesByPosition = new (byte[]?, int, Field, string?)[64];

        /// <summary>Whether <paramref name="rest"/> (the message after a name's opening quote) starts with the name
        /// last seen at <paramref name="position"/> and its closing quote: then it is that name, whose length and
        /// meaning are given.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryPredictName(ReadOnlySpan<byte> rest, int position, out int length, out Field field, out string? name)
        {
            if ((uint)position < (uint)_namesByPosition.Length && _namesByPosition[position] is { Quoted: { } quoted } entry
                && rest.StartsWith(quoted.AsSpan(0, entry.Length)))
            {
                length = entry.Length - 1;
                field = entry.Field;
                name = entry.Name;
                return true;
            }
            length = 0;
            field = Field.Unknown;
            name = null;
            return false;
        }

        /// <summary>Remembers an unescaped ASCII name seen at <paramref name="position"/> of a flat object.</summary>
        public void PredictName(ReadOnlySpan<byte> utf8, int position, Field field, string? name)
        {
            if ((uint)position < (uint)_namesByPosition.Length)
            {
                ref var entry = ref _namesByPosition[position];
                if (entry.Quoted is null || entry.Quoted.Length < utf8.Length + 1)
                {
                    entry.Quoted = new byte[Math.Max(utf8.Length + 1, 32)];
                }
                utf8.CopyTo(entry.Quoted);
                entry.Quoted[utf8.Length] = (byte)'"';
                entry.Length = utf8.Length + 1;
                entry.Field = field;
                entry.Name = name;
            }
        }

        /// <summary>Remembers what an ASCII name's bytes mean.</summary>
        public void RememberName(ReadOnlySpan<byte> utf8, Field field, string? name)
        {
            if (utf8.Length is > 0 and <= 64)
            {
                var slot = NameSlot(utf8);
                var free = 0;
                while (free < 3 && _names[(slot + free) & 255].Utf8 is not null)
                {
                    free++; // the fourth slot is overwritten when all four are taken
                }
                _names[(slot + free) & 255] = (utf8.ToArray(), field, name);
            }
        }

        /// <summary>
        /// A direct-mapped cache of short ASCII strings seen on this thread. Routers repeat the same few endpoint,
        /// model and experiment names (and often the same attributes) millions of times; sharing one string each
        /// saves the allocation and, above all, the garbage collector's work on batches that live until stored.
        /// </summary>
        private readonly string?[] _interned = new string?[1024];

        /// <summary>The two strings last shared for each field (and for the attributes), with their bytes: a router
        /// repeats a field's value from message to message (one experiment, two endpoints), so comparing the bytes
        /// with these comes before hashing them. Each holds up to <see cref="RecentLength"/> bytes in a buffer of its
        /// own, reused.</summary>
        private readonly (byte[] Utf8, int Length, string? Text)[] _recent = CreateRecent();

        private const int RecentLength = 128;
        private const int AttributesSlot = (int)Field.Count;

        private static (byte[], int, string?)[] CreateRecent()
        {
            var recent = new (byte[], int, string?)[2 * (AttributesSlot + 1)];
            for (var i = 0; i < recent.Length; i++)
            {
                recent[i] = (new byte[RecentLength], 0, null);
            }
            return recent;
        }

        /// <summary>The value of <paramref name="field"/> as a shared string, when it is short plain ASCII (as
        /// <see cref="TryIntern"/>), first looked for among the field's two last values.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryInternValue(Field field, ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value) =>
            TryInternRecent((int)field, utf8, out value);

        private bool TryInternRecent(int slot, ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            ref var first = ref _recent[2 * slot];
            if (first.Text is not null && utf8.SequenceEqual(first.Utf8.AsSpan(0, first.Length)))
            {
                value = first.Text;
                return true;
            }
            ref var second = ref _recent[(2 * slot) + 1];
            if (second.Text is not null && utf8.SequenceEqual(second.Utf8.AsSpan(0, second.Length)))
            {
                value = second.Text;
                return true;
            }
            if (!TryIntern(utf8, out value))
            {
                return false;
            }
            if (utf8.Length <= RecentLength)
            {
                // The older of the two makes room: its buffer is reused for the new value.
                (first, second) = (second, first);
                utf8.CopyTo(first.Utf8);
                first.Length = utf8.Length;
                first.Text = value;
            }
            return true;
        }

        /// <summary>The shared string for <paramref name="utf8"/>, when it is short plain ASCII.</summary>
        public bool TryIntern(ReadOnlySpan<byte> utf8, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
        {
            value = null;
            if (utf8.Length > 128)
            {
                return false;
            }
            var hash = new HashCode();
            hash.AddBytes(utf8);
            ref var slot = ref _interned[hash.ToHashCode() & (_interned.Length - 1)];
            if (slot is not null && System.Text.Ascii.Equals(utf8, slot))
            {
                value = slot;
                return true;
            }
            if (!System.Text.Ascii.IsValid(utf8))
            {
                return false;
            }
            value = slot = Encoding.ASCII.GetString(utf8);
            return true;
        }
    }
}
