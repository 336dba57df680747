using System.Globalization;
using System.Text;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;

namespace LogAnalytics.Tests.Ingestion.Decoding;

/// <summary>
/// The decoder's shortcuts for the common case (a scanner for flat objects, plain decimals read as one exact
/// division, the usual UTC timestamp read from its bytes, the system clock read only when needed) against the general
/// code they stand in for: the same results on the same input, including input damaged at random.
/// </summary>
public sealed class DecoderFastPathTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_flat_object_scanner_gives_what_the_json_reader_gives_on_damaged_messages()
    {
        var scanner = new EventDecoder(new FixedClock(Now));
        var reader = new EventDecoder(new FixedClock(Now)) { UseFlatScanner = false };
        var random = new Random(9);
        var router = new SyntheticRouter(new SyntheticRouterOptions { Seed = 9, Start = Now.AddHours(-1), MalformedFraction = 0.05 });
        // Bytes that matter to JSON's grammar, and a few that a scanner must refuse (escape, control, non-ASCII).
        byte[] significant = [.. "{}[]\":,.-+eE0123456789 \t\r\ntfnul\\/"u8, 0x00, 0x1F, 0x7F, 0x80, 0xC3, 0xFF];
        var compared = 0;
        var acceptedByBoth = 0;
        foreach (var message in router.Take(4_000))
        {
            for (var variant = 0; variant < 5; variant++)
            {
                var bytes = variant == 0 ? message.Value : Damage(message.Value, random, significant);
                var expected = Describe(reader.Decode(bytes));
                var actual = Describe(scanner.Decode(bytes));
                Assert.True(expected == actual, $"{Encoding.UTF8.GetString(bytes)}\nreader:  {expected}\nscanner: {actual}");
                compared++;
                acceptedByBoth += expected.StartsWith("REJECT", StringComparison.Ordinal) ? 0 : 1;
            }
        }
        Assert.Equal(20_000, compared);
        Assert.InRange(acceptedByBoth, 4_000, 19_000); // both outcomes are exercised, not only rejections
    }

    [Fact]
    public void Names_predicted_from_the_last_objects_order_give_what_the_json_reader_gives()
    {
        // The scanner first compares each name with the one at the same position in this thread's last object;
        // messages whose names extend, shorten, swap, repeat or misspell the remembered ones must still decode as the
        // reader decodes them, whatever came before.
        var scanner = new EventDecoder(new FixedClock(Now));
        var reader = new EventDecoder(new FixedClock(Now)) { UseFlatScanner = false };
        string[] messages =
        [
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model_name":"m","region":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"mode":"m","region":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu"}""",
            """{"endpoint":"a","timestamp":"2026-11-24T10:00:00Z","status_code":200,"latency_ms":1,"region":"eu","model":"m"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","endpoint":"b","latency_ms":1,"status_code":200}""",
            """{"timestamp" :"2026-11-24T10:00:00Z", "endpoint": "a","latency_ms" : 1,"status_code":200}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu","zone":"z"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region\u0041":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","regioné":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu"}""",
            """{"Timestamp":"2026-11-24T10:00:00Z","Endpoint":"a","LatencyMs":1,"StatusCode":200,"Model":"m","Region":"eu"}""",
            """{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"model":"m","region":"eu"}""",
        ];
        var accepted = 0;
        foreach (var message in messages.Concat(messages.Reverse()))
        {
            var bytes = Encoding.UTF8.GetBytes(message);
            var expected = Describe(reader.Decode(bytes));
            var actual = Describe(scanner.Decode(bytes));
            Assert.True(expected == actual, $"{message}\nreader:  {expected}\nscanner: {actual}");
            accepted += expected.StartsWith("REJECT", StringComparison.Ordinal) ? 0 : 1;
        }
        Assert.Equal(2 * (messages.Length - 1), accepted); // all but the truncated one are events
    }

    [Fact]
    public void Shared_strings_remembered_per_field_are_the_values_the_message_holds()
    {
        // Each field's two last values are compared with the message's bytes before they are hashed; values that are
        // prefixes or extensions of each other, longer than the 128 bytes remembered, or alternating among three must
        // come back exactly as written, on both paths (the reader's path shares the same cache).
        string[] values =
        [
            "legacy", "legacy2", "legac", "holy_sheep", "holy_sheep_rollout", new string('m', 127), new string('m', 128),
            new string('m', 129), new string('m', 200), "a", "b",
        ];
        var random = new Random(5);
        foreach (var decoder in new[] { new EventDecoder(new FixedClock(Now)), new EventDecoder(new FixedClock(Now)) { UseFlatScanner = false } })
        {
            for (var i = 0; i < 5_000; i++)
            {
                var endpoint = values[random.Next(i % 2 == 0 ? 3 : values.Length)];
                var model = values[random.Next(values.Length)];
                var region = values[random.Next(values.Length)];
                var evt = Assert.IsType<RequestEvent>(decoder.Decode(Encoding.UTF8.GetBytes(
                    $$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"{{endpoint}}","latency_ms":1,"status_code":200,"model":"{{model}}","region":"{{region}}"}""")).Event);
                Assert.Equal(endpoint, evt.Endpoint);
                Assert.Equal(model, evt.Model);
                Assert.Equal($$"""{"region":"{{region}}"}""", evt.Attributes);
            }
        }
    }

    [Fact]
    public void Plain_decimals_decode_to_the_double_the_general_parser_gives()
    {
        var decoder = new EventDecoder(new FixedClock(Now));
        var random = new Random(3);
        for (var i = 0; i < 50_000; i++)
        {
            var integerDigits = random.Next(1, 16);
            var fractionDigits = random.Next(0, 16 - integerDigits);
            var text = new StringBuilder();
            text.Append(integerDigits == 1 ? (char)('0' + random.Next(10)) : (char)('1' + random.Next(9)));
            for (var d = 1; d < integerDigits; d++)
            {
                text.Append((char)('0' + random.Next(10)));
            }
            if (fractionDigits > 0)
            {
                text.Append('.');
                for (var d = 0; d < fractionDigits; d++)
                {
                    text.Append((char)('0' + random.Next(10)));
                }
            }
            var number = text.ToString();
            var result = decoder.Decode(Encoding.UTF8.GetBytes(
                $$"""{"timestamp":"2026-11-24T10:00:00Z","endpoint":"a","latency_ms":{{number}},"status_code":200,"ttft_ms":-{{number}}}"""));
            var evt = Assert.IsType<RequestEvent>(result.Event);
            var expected = double.Parse(number, CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(evt.LatencyMs), $"{number}: {evt.LatencyMs:R} instead of {expected:R}");
            Assert.True(BitConverter.DoubleToInt64Bits(-expected) == BitConverter.DoubleToInt64Bits(evt.TtftMs!.Value), $"-{number}: {evt.TtftMs:R} instead of {-expected:R}");
        }
    }

    [Fact]
    public void Utc_timestamps_read_from_bytes_equal_the_general_parser()
    {
        var decoder = new EventDecoder(new FixedClock(Now));
        var random = new Random(4);
        var earliest = new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks;
        for (var i = 0; i < 20_000; i++)
        {
            var at = new DateTime(earliest + (long)(random.NextDouble() * (Now.UtcTicks - earliest)), DateTimeKind.Utc);
            var fraction = random.Next(0, 10);
            var digits = string.Concat(Enumerable.Range(0, fraction).Select(_ => (char)('0' + random.Next(10))));
            var text = at.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture) + (fraction > 0 ? "." + digits : "") + "Z";
            var result = decoder.Decode(Encoding.UTF8.GetBytes($$"""{"timestamp":"{{text}}","endpoint":"a","latency_ms":1,"status_code":200}"""));
            var general = DateTimeOffset.Parse(fraction > 7 ? text[..(20 + 7)] + "Z" : text, CultureInfo.InvariantCulture,
                DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal);
            Assert.True(result.IsAccepted, text + ": " + result.Rejection);
            Assert.Equal(general.UtcTicks, result.Event.Timestamp.UtcTicks);
            Assert.Equal(TimeSpan.Zero, result.Event.Timestamp.Offset);
        }
    }

    [Fact]
    public void With_the_system_clock_a_timestamp_too_far_ahead_is_rejected_after_earlier_ones_were_accepted()
    {
        var decoder = new EventDecoder(maxFutureSkew: TimeSpan.FromHours(1));
        byte[] At(DateTimeOffset t) => Encoding.UTF8.GetBytes(
            $$"""{"timestamp":"{{t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture)}}","endpoint":"a","latency_ms":1,"status_code":200}""");
        var now = DateTimeOffset.UtcNow;

        Assert.True(decoder.Decode(At(now)).IsAccepted);
        Assert.True(decoder.Decode(At(now.AddMinutes(50))).IsAccepted);
        var late = decoder.Decode(At(now.AddMinutes(70)));
        Assert.False(late.IsAccepted);
        Assert.Equal(RejectionReasons.AbsurdTimestamp, late.Rejection.Reason);
        Assert.True(decoder.Decode(At(now.AddMinutes(-5))).IsAccepted);
        Assert.Equal(RejectionReasons.AbsurdTimestamp, decoder.Decode(At(now.AddHours(3))).Rejection!.Reason);
    }

    /// <summary>One to three random edits: a byte replaced by, or inserted as, a significant one, or a byte deleted.</summary>
    private static byte[] Damage(byte[] message, Random random, byte[] significant)
    {
        var bytes = new List<byte>(message);
        for (var edits = random.Next(1, 4); edits > 0 && bytes.Count > 1; edits--)
        {
            var at = random.Next(bytes.Count);
            switch (random.Next(3))
            {
                case 0:
                    bytes[at] = significant[random.Next(significant.Length)];
                    break;
                case 1:
                    bytes.Insert(at, significant[random.Next(significant.Length)]);
                    break;
                default:
                    bytes.RemoveAt(at);
                    break;
            }
        }
        return [.. bytes];
    }

    private static string Describe(DecodeResult result) => result.IsAccepted
        ? result.Event + " Ticks=" + result.Event.Timestamp.UtcTicks + " Offset=" + result.Event.Timestamp.Offset
        : "REJECT " + result.Rejection;

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
