using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Tests.Ingestion.Decoding;

/// <summary>The event contract, case by case: every accepted spelling and every rejection reason.</summary>
public sealed class EventDecoderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventDecoder Decoder = new(new FixedClock(Now));
    private static readonly EventDecoder SmallLimit = new(new FixedClock(Now), maxMessageBytes: 256);

    private static DecodeResult Decode(string json) => Decoder.Decode(Encoding.UTF8.GetBytes(json));

    private static T Accept<T>(string json) where T : TrafficEvent
    {
        var result = Decode(json);
        Assert.True(result.IsAccepted, result.Rejection?.ToString());
        return Assert.IsType<T>(result.Event);
    }

    private static DecodeRejection Reject(string json)
    {
        var result = Decode(json);
        Assert.False(result.IsAccepted, $"accepted: {result.Event}");
        return result.Rejection!;
    }

    [Theory]
    [InlineData("timestamp", "endpoint", "latency_ms", "status_code", "request_id", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "ttft_ms", "error_type", "retry_count", "hash_bucket")]
    [InlineData("timestamp", "endpoint", "latencyMs", "statusCode", "requestId", "promptTokens", "completionTokens", "totalTokens", "costUsd", "ttftMs", "errorType", "retryCount", "hashBucket")]
    [InlineData("Timestamp", "Endpoint", "LatencyMs", "StatusCode", "RequestId", "PromptTokens", "CompletionTokens", "TotalTokens", "CostUsd", "TtftMs", "ErrorType", "RetryCount", "HashBucket")]
    public void Every_field_is_read_in_snake_camel_and_pascal_case(string ts, string endpoint, string latency, string status, string requestId,
        string prompt, string completion, string total, string cost, string ttft, string errorType, string retry, string bucket)
    {
        var json = $$"""
            {"{{ts}}":"2026-11-24T10:00:00Z","{{endpoint}}":"holy_sheep","{{latency}}":812.5,"{{status}}":503,"{{requestId}}":"r-1",
             "{{prompt}}":800,"{{completion}}":200,"{{total}}":1000,"{{cost}}":0.0042,"{{ttft}}":120.5,"{{errorType}}":"server","{{retry}}":2,
             "{{bucket}}":42,"experiment":"exp","variant":"canary","model":"gpt-4.1","stream":true}
            """;
        var e = Accept<RequestEvent>(json);
        Assert.Equal(new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero), e.Timestamp);
        Assert.Equal("holy_sheep", e.Endpoint);
        Assert.Equal(812.5, e.LatencyMs);
        Assert.Equal(503, e.StatusCode);
        Assert.Equal("r-1", e.RequestId);
        Assert.Equal(800, e.PromptTokens);
        Assert.Equal(200, e.CompletionTokens);
        Assert.Equal(1000, e.TotalTokens);
        Assert.Equal(0.0042, e.CostUsd);
        Assert.Equal(120.5, e.TtftMs);
        Assert.Equal("server", e.ErrorType);
        Assert.Equal(2, e.RetryCount);
        Assert.Equal(42, e.HashBucket);
        Assert.Equal("exp", e.Experiment);
        Assert.Equal(Variants.Canary, e.Variant);
        Assert.Equal("gpt-4.1", e.Model);
        Assert.True(e.Stream);
        Assert.Null(e.Attributes);
    }

    [Theory]
    [InlineData("\"2026-11-24T10:00:00Z\"", "2026-11-24T10:00:00+00:00")]
    [InlineData("\"2026-11-24T12:00:00+02:00\"", "2026-11-24T10:00:00+00:00")]
    [InlineData("\"2026-11-24T10:00:00\"", "2026-11-24T10:00:00+00:00")]
    [InlineData("\"2026-11-24T10:00:00.123456789Z\"", "2026-11-24T10:00:00.1234567+00:00")]
    [InlineData("1795514400", "2026-11-24T10:00:00+00:00")]
    [InlineData("1795514400.5", "2026-11-24T10:00:00.5+00:00")]
    [InlineData("1795514400000", "2026-11-24T10:00:00+00:00")]
    [InlineData("1795514400000000", "2026-11-24T10:00:00+00:00")]
    [InlineData("1795514400000000000", "2026-11-24T10:00:00+00:00")]
    [InlineData("\"1795514400000\"", "2026-11-24T10:00:00+00:00")]
    public void Timestamps_in_iso_8601_and_epoch_units_normalise_to_utc(string timestamp, string expected)
    {
        var e = Accept<RequestEvent>($$"""{"timestamp":{{timestamp}},"endpoint":"a","latency_ms":1,"status_code":200}""");
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), e.Timestamp);
        Assert.Equal(TimeSpan.Zero, e.Timestamp.Offset);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("499")]
    [InlineData("504")]
    public void Transport_failures_and_timeouts_are_stored_with_their_error(string status)
    {
        var e = Accept<RequestEvent>($$$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":30000,"status_code":{{{status}}},"error":{"type":"timeout","after_ms":30000}}""");
        Assert.Equal(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), e.StatusCode);
        using var error = JsonDocument.Parse(e.Error!);
        Assert.Equal("timeout", error.RootElement.GetProperty("type").GetString());
    }

    [Fact]
    public void Numbers_may_arrive_as_strings()
    {
        var e = Accept<RequestEvent>("""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":"12.5","status_code":"200","prompt_tokens":"7"}""");
        Assert.Equal(12.5, e.LatencyMs);
        Assert.Equal(200, e.StatusCode);
        Assert.Equal(7, e.PromptTokens);
    }

    [Theory]
    [InlineData("baseline", Variants.Baseline)]
    [InlineData("control", Variants.Baseline)]
    [InlineData("CANARY", Variants.Canary)]
    [InlineData("treatment", Variants.Canary)]
    public void Variant_synonyms_map_to_baseline_and_canary(string variant, string expected)
    {
        var e = Accept<RequestEvent>($$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"variant":"{{variant}}"}""");
        Assert.Equal(expected, e.Variant);
    }

    [Fact]
    public void Unknown_fields_and_unusable_optional_values_are_kept_verbatim_in_attributes()
    {
        var e = Accept<RequestEvent>("""
            {"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,
             "region":"eu-west-1","retries":[1,2,{"x":null}],"prompt_tokens":"n/a","variant":"blue","nested":{"a":{"b":1.5e3}}}
            """);
        Assert.Null(e.PromptTokens);
        Assert.Null(e.Variant);
        using var attributes = JsonDocument.Parse(e.Attributes!);
        var root = attributes.RootElement;
        Assert.Equal("eu-west-1", root.GetProperty("region").GetString());
        Assert.Equal(3, root.GetProperty("retries").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("retries")[2].GetProperty("x").ValueKind);
        Assert.Equal("n/a", root.GetProperty("prompt_tokens").GetString());
        Assert.Equal("blue", root.GetProperty("variant").GetString());
        Assert.Equal(1500, root.GetProperty("nested").GetProperty("a").GetProperty("b").GetDouble());
        Assert.False(root.TryGetProperty("latency_ms", out _));
    }

    [Theory]
    [InlineData("\"retry_after_ms\":2500", 2500.0)]
    [InlineData("\"retryAfterMs\":2500", 2500.0)]
    [InlineData("\"RetryAfterMs\":\"2500\"", 2500.0)]
    [InlineData("\"retry_after\":3", 3000.0)]
    [InlineData("\"retry_after_s\":\"1.5\"", 1500.0)]
    [InlineData("\"RetryAfterSeconds\":0", 0.0)]
    [InlineData("\"retry_after_ms\":120,\"retry_after\":9", 120.0)]
    public void Retry_after_is_read_in_milliseconds_from_every_spelling_and_unit(string field, double expectedMs)
    {
        var e = Accept<RequestEvent>($$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":429,{{field}}}""");
        Assert.Equal(expectedMs, e.RetryAfterMs);
    }

    [Theory]
    [InlineData("retry_after", "-5")]
    [InlineData("retry_after", "\"Wed, 21 Oct 2026 07:28:00 GMT\"")]
    [InlineData("retry_after_ms", "\"soon\"")]
    public void An_unusable_retry_after_is_kept_in_attributes_and_the_event_still_stored(string name, string value)
    {
        var e = Accept<RequestEvent>($$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":429,"{{name}}":{{value}}}""");
        Assert.Null(e.RetryAfterMs);
        using var attributes = JsonDocument.Parse(e.Attributes!);
        Assert.Equal(JsonDocument.Parse(value).RootElement.GetRawText(), attributes.RootElement.GetProperty(name).GetRawText());
    }

    [Fact]
    public void A_retry_count_too_large_for_its_column_is_kept_in_attributes_not_wrapped()
    {
        var e = Accept<RequestEvent>("""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"retry_count":3000000000}""");
        Assert.Null(e.RetryCount);
        using var attributes = JsonDocument.Parse(e.Attributes!);
        Assert.Equal(3000000000L, attributes.RootElement.GetProperty("retry_count").GetInt64());
    }

    [Fact]
    public void Validation_and_stage_kinds_decode_to_their_own_events()
    {
        var v = Accept<ValidationEvent>("""{"kind":"validation","timestamp":"2026-11-24T10:00:00Z","request_id":"r1","experiment":"e","endpoint":"holy_sheep","content_match":true,"finish_reason_match":false,"tokens_match":"true","model_field_match":1,"similarity":0.97}""");
        Assert.Equal("r1", v.RequestId);
        Assert.Equal("holy_sheep", v.Endpoint);
        Assert.True(v.ContentMatch);
        Assert.False(v.FinishReasonMatch);
        Assert.True(v.TokensMatch);
        Assert.True(v.ModelFieldMatch);
        Assert.Equal(0.97, v.Similarity);

        var s = Accept<StageEvent>("""{"kind":"stage","timestamp":"2026-11-24T10:00:00Z","experiment":"e","weight":25}""");
        Assert.Equal(25, s.WeightPercent);
        Assert.Equal("e", s.Experiment);
        Assert.Equal(50, Accept<StageEvent>("""{"kind":"Stage","timestamp":"2026-11-24T10:00:00Z","weightPercent":50}""").WeightPercent);
    }

    [Theory]
    [InlineData("", RejectionReasons.Empty)]
    [InlineData("   \n", RejectionReasons.Empty)]
    [InlineData("not json", RejectionReasons.NotAnEvent)]
    [InlineData("Request 4 succeeded", RejectionReasons.NotAnEvent)]
    [InlineData("[TRAFFIC LOG] {\"timestamp\": \"2026-11-24T10:00:01\", \"endpoint\": \"leg", RejectionReasons.NotJson)]
    [InlineData("2026-11-24T10:00:01.123456789Z stdout P [TRAFFIC LOG] {\"timestamp\": \"2026-11-24T10:00:01\"", RejectionReasons.PartialLine)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200,\"padding\":\"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789\"}", RejectionReasons.TooLarge)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"le\\u0000gacy\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\"", RejectionReasons.NotJson)]
    [InlineData("{\"endpoint\":\"a\"} trailing", RejectionReasons.NotJson)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200,\"x\":[1 /* c */]}", RejectionReasons.NotJson)]
    [InlineData("[1,2]", RejectionReasons.NotObject)]
    [InlineData("\"a string\"", RejectionReasons.NotObject)]
    [InlineData("42", RejectionReasons.NotObject)]
    [InlineData("{\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"status_code\":200}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"  \",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":null,\"status_code\":200}", RejectionReasons.MissingField)]
    [InlineData("{\"timestamp\":\"yesterday\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":5,\"latency_ms\":1,\"status_code\":200}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":\"fast\",\"status_code\":200}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200.5}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":true}", RejectionReasons.InvalidType)]
    [InlineData("{\"kind\":7,\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.InvalidType)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":-3,\"status_code\":200}", RejectionReasons.OutOfRange)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":1000}", RejectionReasons.OutOfRange)]
    [InlineData("{\"timestamp\":\"2026-11-24T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":-1}", RejectionReasons.OutOfRange)]
    [InlineData("{\"kind\":\"stage\",\"timestamp\":\"2026-11-24T10:00:00Z\",\"weight\":101}", RejectionReasons.OutOfRange)]
    [InlineData("{\"kind\":\"validation\",\"timestamp\":\"2026-11-24T10:00:00Z\",\"request_id\":\"r\",\"similarity\":1.5}", RejectionReasons.OutOfRange)]
    [InlineData("{\"timestamp\":\"1999-12-31T23:59:59Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.AbsurdTimestamp)]
    [InlineData("{\"timestamp\":\"2026-11-26T12:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.AbsurdTimestamp)]
    [InlineData("{\"timestamp\":0,\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200}", RejectionReasons.AbsurdTimestamp)]
    [InlineData("{\"kind\":\"metric\",\"timestamp\":\"2026-11-24T10:00:00Z\"}", RejectionReasons.UnknownKind)]
    [InlineData("{\"kind\":\"validation\",\"timestamp\":\"2026-11-24T10:00:00Z\",\"content_match\":true}", RejectionReasons.MissingField)]
    [InlineData("{\"kind\":\"validation\",\"timestamp\":\"2026-11-24T10:00:00Z\",\"request_id\":\"r\"}", RejectionReasons.MissingField)]
    [InlineData("{\"kind\":\"stage\",\"timestamp\":\"2026-11-24T10:00:00Z\",\"experiment\":\"e\"}", RejectionReasons.MissingField)]
    public void Each_kind_of_bad_message_is_rejected_with_its_reason_and_a_detail(string json, string reason)
    {
        // A 256-byte limit, so that too_large has a case of its own here (every other case is shorter).
        var result = SmallLimit.Decode(Encoding.UTF8.GetBytes(json));
        Assert.False(result.IsAccepted, $"accepted: {result.Event}");
        var rejection = result.Rejection!;
        Assert.Equal(reason, rejection.Reason);
        Assert.False(string.IsNullOrWhiteSpace(rejection.Detail));
    }

    [Fact]
    public void Every_rejection_reason_code_is_covered_by_a_case_above()
    {
        var codes = typeof(RejectionReasons).GetFields().Select(f => (string)f.GetValue(null)!).ToHashSet();
        var covered = typeof(EventDecoderTests).GetMethod(nameof(Each_kind_of_bad_message_is_rejected_with_its_reason_and_a_detail))!
            .GetCustomAttributes(typeof(InlineDataAttribute), false).Cast<InlineDataAttribute>()
            .Select(a => (string)a.GetData(null!).First()[1]).ToHashSet();
        Assert.Empty(codes.Except(covered));
    }

    [Fact]
    public void Random_garbage_never_throws_and_always_yields_exactly_one_outcome()
    {
        var random = new Random(20261124);
        var valid = Encoding.UTF8.GetBytes("""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"x":[1,{"y":"z"}]}""");
        for (var i = 0; i < 3000; i++)
        {
            var bytes = (byte[])valid.Clone();
            if (i % 2 == 0)
            {
                for (var k = 0; k < 1 + i % 4; k++)
                {
                    bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
                }
            }
            else
            {
                bytes = new byte[random.Next(0, 64)];
                random.NextBytes(bytes);
            }
            var result = Decoder.Decode(bytes);
            Assert.True(result.IsAccepted ^ (result.Rejection is not null));
        }
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
