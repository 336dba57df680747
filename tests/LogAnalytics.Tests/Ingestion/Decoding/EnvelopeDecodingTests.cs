using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Tests.Ingestion.Decoding;

/// <summary>
/// What routers and log shippers really send: each form, as the shipper writes it, with the migration guide's event
/// inside (Python's <c>json.dumps</c> spacing, a naive <c>isoformat()</c> timestamp, no variant, no experiment),
/// decodes to the same event as the bare line; prose is <c>not_an_event</c>; hostile input is bounded and never altered.
/// </summary>
public sealed class EnvelopeDecodingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventDecoder Decoder = new(new FixedClock(Now));

    /// <summary>The guide's router prints this after "[TRAFFIC LOG] ".</summary>
    internal const string GuideEvent =
        """{"timestamp": "2026-11-24T10:00:01", "endpoint": "legacy", "model": "gpt-4.1", "latency_ms": 812.4, "status_code": 200, "success": true, "prompt_tokens": 812, "completion_tokens": 240}""";

    /// <summary>The same event as a JSON string value (escaped), as shippers embed the line.</summary>
    private static string Escaped(string line) => JsonSerializer.Serialize(line);

    public static TheoryData<string, string> Forms() => new()
    {
        { "bare", GuideEvent },
        { "prefixed", "[TRAFFIC LOG] " + GuideEvent },
        { "logging prefix", "2026-11-24 10:00:01,123 INFO router: " + GuideEvent },
        { "prefix and suffix", "[TRAFFIC LOG] " + GuideEvent + " (took 3 ms)" },
        { "docker json-file", $$$"""{"log":{{{Escaped("[TRAFFIC LOG] " + GuideEvent + "\n")}}},"stream":"stdout","time":"2026-11-24T10:00:01.123456789Z"}""" },
        { "fluent bit", $$$"""{"date":1795860001.123456,"log":{{{Escaped("[TRAFFIC LOG] " + GuideEvent)}}},"stream":"stdout"}""" },
        { "vector", $$$"""{"file":"/var/log/router.log","host":"node-1","message":{{{Escaped("[TRAFFIC LOG] " + GuideEvent)}}},"source_type":"file","timestamp":"2026-11-24T10:00:01.200Z"}""" },
        { "filebeat", $$$"""{"@timestamp":"2026-11-24T10:00:01.200Z","@metadata":{"beat":"filebeat","type":"_doc","version":"8.15.0"},"message":{{{Escaped("[TRAFFIC LOG] " + GuideEvent)}}},"input":{"type":"filestream"},"log":{"offset":1041,"file":{"path":"/var/log/router.log"}},"host":{"name":"node-1"}}""" },
        { "logstash", $$$"""{"@version":"1","@timestamp":"2026-11-24T10:00:01.200Z","message":{{{Escaped("[TRAFFIC LOG] " + GuideEvent)}}},"host":{"hostname":"node-1"},"event":{"original":"x"}}""" },
        { "cri", "2026-11-24T10:00:01.123456789Z stdout F [TRAFFIC LOG] " + GuideEvent },
        { "cri in fluent bit log", $$$"""{"log":{{{Escaped("2026-11-24T10:00:01.123456789Z stdout F [TRAFFIC LOG] " + GuideEvent)}}}}""" },
        { "object field event", $$$"""{"event":{{{GuideEvent}}},"time":1795860001,"host":"node-1","sourcetype":"router"}""" },
        { "object field json (fluent bit parser)", $$$"""{"json":{{{GuideEvent}}},"stream":"stdout","time":"2026-11-24T10:00:01.2Z"}""" },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void Every_form_decodes_to_the_same_event_as_the_bare_line(string form, string message)
    {
        var bare = Accept(GuideEvent);
        var wrapped = Accept(message);
        Assert.True(bare == wrapped, $"{form}: {wrapped} differs from {bare}");
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 1, TimeSpan.Zero), wrapped.Timestamp);
        Assert.Equal("""{"success":true}""", wrapped.Attributes);
    }

    [Fact]
    public void Kubernetes_names_from_the_envelope_go_to_attributes_and_the_events_own_fields_win()
    {
        var fluentBit = $$$"""
            {"log":{{{Escaped("[TRAFFIC LOG] " + GuideEvent.Replace("\"success\": true", "\"success\": true, \"pod_name\": \"mine\"", StringComparison.Ordinal))}}},"stream":"stdout","time":"2026-11-24T10:00:01.1Z",
             "kubernetes":{"pod_name":"router-7d9f","namespace_name":"llm","container_name":"router","labels":{"app":"router"},"host":"node-1"}}
            """;
        var evt = Accept(fluentBit);
        Assert.Equal(Accept(GuideEvent) with { Attributes = evt.Attributes }, evt);
        using var attributes = JsonDocument.Parse(evt.Attributes!);
        Assert.Equal("mine", attributes.RootElement.GetProperty("pod_name").GetString());
        Assert.Equal("llm", attributes.RootElement.GetProperty("namespace_name").GetString());
        Assert.Equal("router", attributes.RootElement.GetProperty("container_name").GetString());
        Assert.True(attributes.RootElement.GetProperty("success").GetBoolean());

        // Vector's and Filebeat's spellings of the same names.
        var vector = $$$"""{"message":{{{Escaped(GuideEvent)}}},"kubernetes":{"pod_name":"p1","pod_namespace":"ns1","container_name":"c1"}}""";
        var filebeat = "{\"message\":" + Escaped(GuideEvent) + ",\"kubernetes\":{\"pod\":{\"name\":\"p2\"},\"namespace\":\"ns2\",\"container\":{\"name\":\"c2\"}}}";
        Assert.Equal("""{"success":true,"pod_name":"p1","namespace_name":"ns1","container_name":"c1"}""", Accept(vector).Attributes);
        Assert.Equal("""{"success":true,"pod_name":"p2","namespace_name":"ns2","container_name":"c2"}""", Accept(filebeat).Attributes);
    }

    [Fact]
    public void The_shippers_timestamp_is_used_only_when_the_event_has_none_and_is_then_recorded()
    {
        var withoutTimestamp = GuideEvent.Replace("\"timestamp\": \"2026-11-24T10:00:01\", ", "", StringComparison.Ordinal);
        Assert.Equal(RejectionReasons.MissingField, Reject(withoutTimestamp).Reason);

        var docker = $$$"""{"log":{{{Escaped(withoutTimestamp + "\n")}}},"stream":"stdout","time":"2026-11-24T10:00:01.5Z"}""";
        var evt = Accept(docker);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 1, 500, TimeSpan.Zero), evt.Timestamp);
        Assert.Equal("""{"success":true,"shipper_timestamp":"2026-11-24T10:00:01.5Z"}""", evt.Attributes);

        var cri = Accept("2026-11-24T10:00:02.25Z stdout F " + withoutTimestamp);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 2, 250, TimeSpan.Zero), cri.Timestamp);

        // The event's own timestamp wins over the shipper's (10:00:01, not 11:00).
        var own = Accept($$$"""{"log":{{{Escaped(GuideEvent)}}},"time":"2026-11-24T11:00:00Z"}""");
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 1, TimeSpan.Zero), own.Timestamp);
    }

    [Fact]
    public void Event_path_reaches_an_envelope_no_shipper_default_knows()
    {
        var custom = $$$"""{"meta":{"source":"router"},"payload":{"event":{{{GuideEvent}}}}}""";
        var asString = $$$"""{"meta":{"source":"router"},"payload":{"event":{{{Escaped("[TRAFFIC LOG] " + GuideEvent)}}}}}""";
        Assert.Equal(RejectionReasons.MissingField, Reject(custom).Reason);
        var configured = new EventDecoder(new FixedClock(Now), eventPath: "payload.event");
        Assert.Equal(Accept(GuideEvent), Accepted(configured.Decode(Encoding.UTF8.GetBytes(custom))));
        Assert.Equal(Accept(GuideEvent), Accepted(configured.Decode(Encoding.UTF8.GetBytes(asString))));
        // Bare events still decode with a path configured.
        Assert.Equal(Accept(GuideEvent), Accepted(configured.Decode(Encoding.UTF8.GetBytes(GuideEvent))));
    }

    [Theory]
    [InlineData("Request 4 succeeded", RejectionReasons.NotAnEvent)]
    [InlineData("INFO:     127.0.0.1:51234 - \"POST /v1/chat/completions HTTP/1.1\" 200 OK", RejectionReasons.NotAnEvent)]
    [InlineData("""{"log":"Request 4 succeeded\n","stream":"stdout","time":"2026-11-24T10:00:01Z"}""", RejectionReasons.NotAnEvent)]
    [InlineData("""{"log":"\n","stream":"stdout","time":"2026-11-24T10:00:01Z"}""", RejectionReasons.NotAnEvent)]
    [InlineData("2026-11-24T10:00:01.1Z stderr F Traceback (most recent call last):", RejectionReasons.NotAnEvent)]
    [InlineData("[TRAFFIC LOG] {\"timestamp\": \"2026-11-24T10:00:01\", \"endpoint\": \"leg", RejectionReasons.NotJson)]
    [InlineData("""{"log":"[TRAFFIC LOG] {\"timestamp\": \"2026","stream":"stdout"}""", RejectionReasons.NotJson)]
    [InlineData("""{"log":"[TRAFFIC LOG] {\"timestamp\": \"2026-11-24T10:00:01\", \"endpoint\": \"legacy\"}"}""", RejectionReasons.MissingField)]
    [InlineData("""{"stream":"stdout","time":"2026-11-24T10:00:01Z"}""", RejectionReasons.MissingField)]
    [InlineData("""{"timestamp":"2026-11-24T10:00:01Z","endpoint":"a","status_code":200,"message":"upstream timed out"}""", RejectionReasons.MissingField)]
    [InlineData("""{"log":"[1,2]"}""", RejectionReasons.NotObject)]
    [InlineData("[TRAFFIC LOG] [1,2]", RejectionReasons.NotAnEvent)]
    public void Prose_is_not_an_event_and_broken_events_keep_their_reason(string message, string reason)
    {
        Assert.Equal(reason, Reject(message).Reason);
    }

    [Fact]
    public void A_nul_character_is_never_cut_the_event_is_quarantined_whole_or_kept_whole_in_attributes()
    {
        foreach (var field in new[] { "endpoint", "model", "request_id", "experiment", "error_type", "error" })
        {
            var json = EventWith(field, "\"le\\u0000gacy\"");
            var rejection = Reject(json);
            Assert.Equal(RejectionReasons.InvalidType, rejection.Reason);
            Assert.Contains(field, rejection.Detail, StringComparison.Ordinal);
        }
        // An attribute keeps the escape verbatim: nothing is cut.
        var kept = Accept(GuideEvent.Replace("\"success\": true", "\"note\": \"le\\u0000gacy\"", StringComparison.Ordinal));
        Assert.Equal("le\0gacy", JsonDocument.Parse(kept.Attributes!).RootElement.GetProperty("note").GetString());
    }

    [Theory]
    [InlineData("endpoint")]
    [InlineData("model")]
    [InlineData("experiment")]
    [InlineData("variant")]
    [InlineData("request_id")]
    [InlineData("error_type")]
    public void Identifiers_longer_than_256_characters_are_out_of_range(string field)
    {
        string With(int length) => EventWith(field, $"\"{new string('x', length)}\"");
        var rejection = Reject(With(257));
        Assert.Equal(RejectionReasons.OutOfRange, rejection.Reason);
        Assert.Contains("257", rejection.Detail, StringComparison.Ordinal);
        if (field != "variant")
        {
            Accept(With(256)); // exactly at the limit is fine (a 256-character variant is simply not a known side)
        }
    }

    [Fact]
    public void A_message_over_the_limit_is_too_large_and_quarantine_keeps_its_first_bytes()
    {
        var decoder = new EventDecoder(new FixedClock(Now), maxMessageBytes: 1024);
        var huge = Encoding.UTF8.GetBytes(GuideEvent.Replace("\"legacy\"", $"\"{new string('x', 3000)}\"", StringComparison.Ordinal));
        var rejection = decoder.Decode(huge).Rejection!;
        Assert.Equal(RejectionReasons.TooLarge, rejection.Reason);
        Assert.Contains(huge.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), rejection.Detail, StringComparison.Ordinal);
        Assert.Equal(huge.AsSpan(0, 1024).ToArray(), decoder.KeptRaw(huge));
        var small = Encoding.UTF8.GetBytes("not an event");
        Assert.Same(small, decoder.KeptRaw(small));
        Assert.Equal(EventDecoder.DefaultMaxMessageBytes, new EventDecoder().MaxMessageBytes);
    }

    [Fact]
    public void Cri_partial_lines_are_joined_in_offset_order_and_stored_at_the_final_lines_offset()
    {
        var joiner = new CriPartialLineJoiner(EventDecoder.DefaultMaxMessageBytes);
        var released = new List<(SourcePosition Position, byte[] Raw)>();
        var line = "[TRAFFIC LOG] " + GuideEvent;
        var parts = new[] { line[..40], line[40..100], line[100..] };
        SourcePosition At(long offset) => new("router-logs", 3, offset);

        Assert.Equal(JoinOutcome.Held, joiner.Offer(At(10), Bytes($"2026-11-24T10:00:01.1Z stdout P {parts[0]}"), released, out _));
        Assert.Equal(JoinOutcome.Held, joiner.Offer(At(11), Bytes($"2026-11-24T10:00:01.1Z stdout P {parts[1]}"), released, out _));
        Assert.True(joiner.HasPending);
        // Another partition is independent.
        Assert.Equal(JoinOutcome.Pass, joiner.Offer(new SourcePosition("router-logs", 4, 11), Bytes(GuideEvent), released, out _));
        Assert.Equal(JoinOutcome.Joined, joiner.Offer(At(12), Bytes($"2026-11-24T10:00:01.2Z stdout F {parts[2]}"), released, out var joined));
        Assert.Empty(released);
        Assert.False(joiner.HasPending);
        Assert.Equal(Accept(GuideEvent), Accepted(Decoder.Decode(joined)));
    }

    [Fact]
    public void A_broken_partial_chain_releases_its_lines_which_are_quarantined_as_partial_lines()
    {
        var joiner = new CriPartialLineJoiner(120);
        var released = new List<(SourcePosition Position, byte[] Raw)>();
        SourcePosition At(long offset) => new("t", 0, offset);
        var p = Bytes("2026-11-24T10:00:01.1Z stdout P [TRAFFIC LOG] {\"timestamp\": \"2026-11-24T10:00:01\", ");

        // A gap in offsets.
        joiner.Offer(At(1), p, released, out _);
        Assert.Equal(JoinOutcome.Pass, joiner.Offer(At(3), Bytes(GuideEvent), released, out _));
        Assert.Equal([At(1)], released.Select(r => r.Position));
        Assert.Equal(p, released[0].Raw);
        Assert.Equal(RejectionReasons.PartialLine, Decoder.Decode(released[0].Raw).Rejection!.Reason);
        released.Clear();

        // Another stream, then the chain grows past the limit, then the end of a file.
        joiner.Offer(At(4), p, released, out _);
        Assert.Equal(JoinOutcome.Pass, joiner.Offer(At(5), Bytes("2026-11-24T10:00:01.1Z stderr F oops"), released, out _));
        Assert.Equal([At(4)], released.Select(r => r.Position));
        released.Clear();
        joiner.Offer(At(6), p, released, out _);
        joiner.Offer(At(7), p, released, out _);
        Assert.Equal(JoinOutcome.Held, joiner.Offer(At(8), p, released, out _)); // 3 x 52 content bytes > 120: 6 and 7 released
        Assert.Equal([At(6), At(7)], released.Select(r => r.Position));
        released.Clear();
        joiner.ReleaseAll(released);
        Assert.Equal([At(8)], released.Select(r => r.Position));
        Assert.False(joiner.HasPending);

        // A revoked partition's chain is forgotten (its lines were not stored and are read again).
        joiner.Offer(At(9), p, released, out _);
        joiner.Drop("t", 0);
        Assert.False(joiner.HasPending);
    }

    /// <summary>A minimal event with <paramref name="field"/> set to the JSON <paramref name="value"/>.</summary>
    private static string EventWith(string field, string value)
    {
        var fields = new Dictionary<string, string>
        {
            ["timestamp"] = "\"2026-11-24T10:00:01\"", ["endpoint"] = "\"legacy\"", ["latency_ms"] = "812.4", ["status_code"] = "200",
        };
        fields[field] = value;
        return "{" + string.Join(", ", fields.Select(f => $"\"{f.Key}\": {f.Value}")) + "}";
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static TrafficEvent Accept(string message) => Accepted(Decoder.Decode(Bytes(message)));

    private static TrafficEvent Accepted(DecodeResult result)
    {
        Assert.True(result.IsAccepted, result.Rejection?.ToString());
        return result.Event;
    }

    private static DecodeRejection Reject(string message)
    {
        var result = Decoder.Decode(Bytes(message));
        Assert.False(result.IsAccepted, $"accepted: {result.Event}");
        return result.Rejection!;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
