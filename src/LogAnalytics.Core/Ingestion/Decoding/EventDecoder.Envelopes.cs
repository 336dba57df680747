using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>
/// What routers and log shippers really send around an event: a text prefix (<c>[TRAFFIC LOG] {...}</c>), a
/// shipper's envelope whose event is a string field holding the line (Docker json-file and Fluent Bit <c>log</c>,
/// Vector / Filebeat / Logstash <c>message</c>) or an object field (<c>event</c>, <c>json</c>), a Kubernetes CRI line
/// (<c>2026-11-24T10:00:01.123456789Z stdout F {...}</c>), or a configured <c>Ingestion:EventPath</c>.
/// </summary>
/// <remarks>
/// A bare event never pays for any of this: it is decoded as before, and only a message that is not a valid bare
/// event is looked at again. The envelope's useful fields (the shipper's timestamp when the event has none; Kubernetes
/// pod, namespace and container names) go into the event's attributes, and the event's own fields always win.
/// </remarks>
public sealed partial class EventDecoder
{
    /// <summary>The default of <c>Ingestion:MaxMessageBytes</c>: 1 MiB.</summary>
    public const int DefaultMaxMessageBytes = 1 << 20;

    /// <summary>The longest identifier (endpoint, model, experiment, variant, request id, error type) accepted, in characters.</summary>
    public const int MaxIdentifierLength = 256;

    /// <summary>Envelopes inside envelopes (a CRI line inside Fluent Bit's <c>log</c>, say) are unwrapped this deep.</summary>
    private const int MaxUnwrapDepth = 4;

    /// <summary>How many <c>{</c> of a prefixed line are tried as the start of the event.</summary>
    private const int MaxPrefixAttempts = 16;

    /// <summary>Property names that carry the event line (a string) or the event (an object), in the order tried.</summary>
    private static readonly (string Name, bool ObjectAllowed)[] PayloadNames = [("log", false), ("message", false), ("event", true), ("json", true)];

    /// <summary>Property names of a shipper's timestamp, in the order tried.</summary>
    private static readonly string[] ShipperTimeNames = ["time", "@timestamp", "timestamp", "date"];

    private readonly string[]? _eventPath;

    /// <summary>Messages longer than this many bytes are quarantined as <c>too_large</c>.</summary>
    public int MaxMessageBytes { get; }

    /// <summary>The bytes of a rejected message that quarantine keeps: all of them, or the first
    /// <see cref="MaxMessageBytes"/> of a <c>too_large</c> one (its detail records the true length).</summary>
    public byte[]? KeptRaw(byte[]? message) =>
        message is null || message.Length <= MaxMessageBytes ? message : message.AsSpan(0, MaxMessageBytes).ToArray();

    /// <inheritdoc cref="KeptRaw(byte[])"/>
    public byte[] KeptRaw(ReadOnlySpan<byte> message) =>
        (message.Length <= MaxMessageBytes ? message : message[..MaxMessageBytes]).ToArray();

    /// <summary>A JSON object: the event itself, or an envelope around it.</summary>
    private DecodeResult DecodeJsonLine(ReadOnlySpan<byte> json, Envelope? envelope, int depth)
    {
        var result = DecodeObject(json, envelope);
        if (result.IsAccepted || result.Rejection.Reason == RejectionReasons.NotJson || depth >= MaxUnwrapDepth)
        {
            return result;
        }
        return Unwrap(json, envelope, depth) ?? result;
    }

    /// <summary>A line that does not start with <c>{</c>: a CRI line, a prefixed event, JSON that is not an object,
    /// or prose.</summary>
    private DecodeResult DecodeLine(ReadOnlySpan<byte> line, Envelope? envelope, int depth)
    {
        var start = 0;
        while (start < line.Length && line[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }
        line = line[start..];
        if (line.IsEmpty)
        {
            return DecodeResult.Reject(RejectionReasons.NotAnEvent, "the log line is empty");
        }
        if (line[0] == (byte)'{')
        {
            return DecodeJsonLine(line, envelope, depth);
        }
        if (depth < MaxUnwrapDepth && CriLine.TryParse(line, out var cri))
        {
            if (cri.Partial)
            {
                return DecodeResult.Reject(RejectionReasons.PartialLine,
                    "a Kubernetes CRI partial line (P) without the lines that complete it; only consecutive P lines followed by their F line are joined");
            }
            var inner = new Envelope(envelope) { Timestamp = new FieldValue(ValueKind.String, Encoding.UTF8.GetString(cri.Timestamp), 0, null) { Name = "cri_timestamp" } };
            return DecodeLine(cri.Content, inner, depth + 1);
        }
        if (IsJsonValue(line, out var token))
        {
            return DecodeResult.Reject(RejectionReasons.NotObject, $"the message is a JSON {Describe(token)}, not an object");
        }

        // The first complete JSON object after a text prefix ("[TRAFFIC LOG] {...}", "2026-11-24 10:00:01,123 INFO router: {...}").
        var from = 0;
        var attempts = 0;
        while (attempts < MaxPrefixAttempts)
        {
            var brace = line[from..].IndexOf((byte)'{');
            if (brace < 0)
            {
                break;
            }
            brace += from;
            attempts++;
            if (MeasureObject(line[brace..]) is { } length)
            {
                return depth < MaxUnwrapDepth
                    ? DecodeJsonLine(line.Slice(brace, length), envelope, depth + 1)
                    : DecodeObject(line.Slice(brace, length), envelope);
            }
            from = brace + 1;
        }
        return attempts > 0
            ? DecodeResult.Reject(RejectionReasons.NotJson, "the line holds no complete JSON object: a truncated or broken event")
            : DecodeResult.Reject(RejectionReasons.NotAnEvent, "the line holds no JSON object (prose a router printed, not an event)");
    }

    /// <summary>The length of the complete JSON object at the start of <paramref name="text"/>, or null.</summary>
    private static int? MeasureObject(ReadOnlySpan<byte> text)
    {
        try
        {
            var reader = new Utf8JsonReader(text, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }
            reader.Skip();
            return (int)reader.BytesConsumed;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Whether the whole line is one JSON value (an array, a string, a number...).</summary>
    private static bool IsJsonValue(ReadOnlySpan<byte> line, out JsonTokenType token)
    {
        token = JsonTokenType.None;
        if (line[0] is not ((byte)'[' or (byte)'"' or (byte)'-' or (>= (byte)'0' and <= (byte)'9') or (byte)'t' or (byte)'f' or (byte)'n'))
        {
            return false;
        }
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow });
            if (!reader.Read())
            {
                return false;
            }
            token = reader.TokenType;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The event inside a shipper's envelope, or null when <paramref name="json"/> is not one.</summary>
    private DecodeResult? Unwrap(ReadOnlySpan<byte> json, Envelope? outer, int depth)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException)
        {
            return null;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            JsonElement payload = default;
            if (_eventPath is not null)
            {
                payload = Navigate(root, _eventPath);
            }
            if (payload.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
            {
                if (LooksLikeEvent(root))
                {
                    return null; // a broken event that happens to have a "message" field: its own rejection stands
                }
                foreach (var (name, objectAllowed) in PayloadNames)
                {
                    // Filebeat's "log" and ECS's "event" are metadata objects; "log" and "message" count as strings only.
                    if (root.TryGetProperty(name, out var candidate)
                        && (candidate.ValueKind == JsonValueKind.String || (objectAllowed && candidate.ValueKind == JsonValueKind.Object && !LooksLikeMetadata(candidate))))
                    {
                        payload = candidate;
                        break;
                    }
                }
            }
            if (payload.ValueKind is not (JsonValueKind.String or JsonValueKind.Object))
            {
                return null;
            }

            var envelope = new Envelope(outer) { Timestamp = ShipperTimestamp(root) ?? outer?.Timestamp };
            envelope.ReadKubernetes(root);
            if (payload.ValueKind == JsonValueKind.Object)
            {
                return DecodeJsonLine(JsonMarshal.GetRawUtf8Value(payload), envelope, depth + 1);
            }
            var line = Encoding.UTF8.GetBytes(payload.GetString()!);
            if (line.Length == 0 || IsWhiteSpace(line))
            {
                return DecodeResult.Reject(RejectionReasons.NotAnEvent, "the envelope's log line is empty");
            }
            return DecodeLine(line, envelope, depth + 1);
        }
    }

    private static JsonElement Navigate(JsonElement root, string[] path)
    {
        var current = root;
        foreach (var name in path)
        {
            if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
            {
                return default;
            }
        }
        return current;
    }

    /// <summary>ECS's <c>event</c> object (<c>{"original": ..., "dataset": ...}</c>) describes the log line; it is not the event.</summary>
    private static bool LooksLikeMetadata(JsonElement candidate) =>
        candidate.TryGetProperty("original", out _) || candidate.TryGetProperty("dataset", out _);

    /// <summary>An object with the event contract's own fields is a (broken) event, not an envelope.</summary>
    private static bool LooksLikeEvent(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            if (FieldNames.Lookup(property.Name) is Field.Endpoint or Field.LatencyMs or Field.StatusCode or Field.Kind or Field.RequestId or Field.Weight)
            {
                return true;
            }
        }
        return false;
    }

    private static FieldValue? ShipperTimestamp(JsonElement root)
    {
        foreach (var name in ShipperTimeNames)
        {
            if (!root.TryGetProperty(name, out var value))
            {
                continue;
            }
            switch (value.ValueKind)
            {
                case JsonValueKind.String:
                    return new FieldValue(ValueKind.String, value.GetString(), 0, null) { Name = name };
                case JsonValueKind.Number:
                    return new FieldValue(ValueKind.Number, value.GetRawText(), value.GetDouble(), null) { Name = name };
            }
        }
        return null;
    }

    /// <summary>What an envelope adds to the event inside it.</summary>
    private sealed class Envelope(Envelope? outer)
    {
        private readonly List<KeyValuePair<string, string>> _attributes = outer is null ? [] : [.. outer._attributes];

        /// <summary>The shipper's (or the CRI line's) timestamp, used when the event has none.</summary>
        public FieldValue? Timestamp { get; init; }

        /// <summary>Whether the event took <see cref="Timestamp"/>.</summary>
        public bool TimestampUsed { get; set; }

        /// <summary>Pod, namespace and container names as Fluent Bit, Vector and Filebeat spell them.</summary>
        public void ReadKubernetes(JsonElement root)
        {
            if (!root.TryGetProperty("kubernetes", out var k8s) || k8s.ValueKind != JsonValueKind.Object)
            {
                return;
            }
            Add("pod_name", Text(k8s, "pod_name") ?? Text(k8s, "pod", "name"));
            Add("namespace_name", Text(k8s, "namespace_name") ?? Text(k8s, "pod_namespace") ?? Text(k8s, "namespace"));
            Add("container_name", Text(k8s, "container_name") ?? Text(k8s, "container", "name"));
        }

        private void Add(string name, string? value)
        {
            if (value is null)
            {
                return;
            }
            // An inner envelope is closer to the event than the outer one it was copied from: its value wins.
            var at = _attributes.FindIndex(a => a.Key == name);
            if (at >= 0)
            {
                _attributes[at] = new(name, value);
            }
            else
            {
                _attributes.Add(new(name, value));
            }
        }

        private static string? Text(JsonElement parent, params string[] path)
        {
            var current = parent;
            foreach (var name in path)
            {
                if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(name, out current))
                {
                    return null;
                }
            }
            return current.ValueKind == JsonValueKind.String ? current.GetString() : null;
        }

        /// <summary>The accepted event with the envelope's attributes added where the event has none of that name.</summary>
        public DecodeResult AddTo(DecodeResult result)
        {
            var extra = new List<KeyValuePair<string, string>>(_attributes);
            if (TimestampUsed && Timestamp is { } ts)
            {
                extra.Add(new("shipper_timestamp", ts.Text ?? ts.Number.ToString(CultureInfo.InvariantCulture)));
            }
            if (extra.Count == 0)
            {
                return result;
            }
            var evt = result.Event!;
            var existing = new HashSet<string>(StringComparer.Ordinal);
            if (evt.Attributes is not null)
            {
                using var attributes = JsonDocument.Parse(evt.Attributes);
                foreach (var property in attributes.RootElement.EnumerateObject())
                {
                    existing.Add(property.Name);
                }
            }
            var text = new StringBuilder(evt.Attributes is null ? "{" : evt.Attributes[..^1]);
            var first = evt.Attributes is null || existing.Count == 0;
            foreach (var (name, value) in extra)
            {
                if (!existing.Add(name))
                {
                    continue; // the event's own field wins
                }
                text.Append(first ? "" : ",").Append('"').Append(JsonEncodedText.Encode(name).Value).Append("\":\"")
                    .Append(JsonEncodedText.Encode(value).Value).Append('"');
                first = false;
            }
            text.Append('}');
            return DecodeResult.Accept(evt with { Attributes = text.ToString() });
        }
    }
}

/// <summary>One Kubernetes CRI log line: <c>&lt;RFC 3339 time&gt; &lt;stdout|stderr&gt; &lt;P|F&gt;[:tags] &lt;content&gt;</c>.</summary>
internal readonly ref struct CriLine
{
    /// <summary>The container runtime's timestamp.</summary>
    public ReadOnlySpan<byte> Timestamp { get; init; }

    /// <summary><c>stdout</c> or <c>stderr</c>.</summary>
    public ReadOnlySpan<byte> Stream { get; init; }

    /// <summary>Whether the line is partial (<c>P</c>): the runtime split a long line, and more follows.</summary>
    public bool Partial { get; init; }

    /// <summary>The container's output.</summary>
    public ReadOnlySpan<byte> Content { get; init; }

    /// <summary>Parses a CRI line; false (fast) for anything else, e.g. a line starting with <c>{</c>.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out CriLine cri)
    {
        cri = default;
        if (line.Length < 30 || !char.IsAsciiDigit((char)line[0]) || line[4] != (byte)'-')
        {
            return false;
        }
        var space = line[..Math.Min(line.Length, 48)].IndexOf((byte)' ');
        if (space < 19 || line[10] != (byte)'T')
        {
            return false;
        }
        var rest = line[(space + 1)..];
        if (!(rest.StartsWith("stdout "u8) || rest.StartsWith("stderr "u8)))
        {
            return false;
        }
        var stream = rest[..6];
        rest = rest[7..];
        var tagEnd = rest.IndexOf((byte)' ');
        var tag = tagEnd < 0 ? rest : rest[..tagEnd];
        if (tag.IsEmpty || tag[0] is not ((byte)'P' or (byte)'F') || (tag.Length > 1 && tag[1] != (byte)':'))
        {
            return false;
        }
        cri = new CriLine
        {
            Timestamp = line[..space],
            Stream = stream,
            Partial = tag[0] == (byte)'P',
            Content = tagEnd < 0 ? default : rest[(tagEnd + 1)..],
        };
        return true;
    }
}
