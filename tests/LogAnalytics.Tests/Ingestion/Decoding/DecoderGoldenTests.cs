using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using Xunit;

namespace LogAnalytics.Tests.Ingestion.Decoding;

/// <summary>
/// Pins the decoder's observable behaviour: every input below, and a few thousand synthetic ones with malformed
/// messages mixed in, must decode to exactly the result recorded in Fixtures/decoder/golden.txt (the event's every
/// property, or the rejection's reason and detail). Written before the decoder was optimised for replay throughput,
/// so an optimisation that changes any outcome fails here. To re-record after an intended change, run the tests with
/// LOGANALYTICS_UPDATE_GOLDEN=1 and review the diff of the golden file.
/// </summary>
public sealed class DecoderGoldenTests
{
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly EventDecoder Decoder = new(new FixedClock(Now));

    private static readonly string[] Handcrafted =
    [
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"legacy","latency_ms":812.5,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00.123Z","endpoint":"legacy","latency_ms":812,"status_code":200,"experiment":"exp","variant":"baseline","request_id":"r1","model":"m","hash_bucket":42,"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"cost_usd":0.0001,"ttft_ms":100.5,"stream":true,"error_type":null,"error":null,"retry_count":0}""",
        """{"timestamp":"2025-06-01T10:00:00.123456789Z","endpoint":"holy_sheep","latency_ms":"650.25","status_code":"503","variant":"Treatment"}""",
        """{"timestamp":"2025-06-01T10:00:00.1234567Z","endpoint":"holy_sheep","latency_ms":1,"status_code":0,"variant":"control"}""",
        """{"timestamp":"2025-06-01T10:00:00.12345678+02:00","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00+02:00","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01 10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00.5z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":" 2025-06-01T10:00:00Z ","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-13-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-02-30T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T24:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T23:59:60Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00.Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-6-1T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"1999-12-31T23:59:59Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-03T12:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-02T11:59:59.9999999Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":1748772000,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":1748772000123,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":1748772000123456,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":1748772000123456789,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"1748772000.5","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":1748772000.25,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":-5,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":true,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":{"s":1},"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"yesterday","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":null,"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timeStamp":"2025-06-01T10:00:00Z","Endpoint":"a","latencyMs":1,"StatusCode":200,"requestId":"x","HashBucket":"7","totalTokens":3.0}""",
        """{"Timestamp":"2025-06-01T10:00:00Z","ENDPOINT":"a","Latency-Ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"latency_ms":2}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"latencyMs":2,"region":"eu","nested":{"a":[1,2,{"b":null}]},"arr":[1,"x"],"n":1.50,"big":12345678901234567890,"t":true,"f":false,"z":null}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"stream":"yes","retry_count":"2","cost_usd":"0.5","ttft_ms":"NaN","prompt_tokens":1.5,"completion_tokens":"x","model":42,"experiment":"  exp  ","request_id":"   "}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"stream":1,"error":{"code":500,"msg":"boom"},"error_type":"server_error","variant":"other"}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"stream":0,"error":true,"variant":5,"hash_bucket":1e2}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"stream":2,"error":["a"],"hash_bucket":9e16,"retry_count":-1}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"stream":"TRUE","weight":5,"similarity":0.5,"content_match":true}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":-1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1e400,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":"abc","status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":null,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":[1],"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200.5}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":1000}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":-1}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"  ","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":7,"latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":null,"latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","latency_ms":1,"status_code":200}""",
        """{"kind":"request","timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"kind":" Request ","timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"kind":null,"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"kind":5,"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"kind":"metric","timestamp":"2025-06-01T10:00:00Z"}""",
        """{"kind":"metric"}""",
        """{"kind":"stage","timestamp":"2025-06-01T10:00:00Z","experiment":"e","weight_percent":5,"endpoint":"x"}""",
        """{"kind":"stage","timestamp":"2025-06-01T10:00:00Z","weight":"12.5"}""",
        """{"kind":"stage","timestamp":"2025-06-01T10:00:00Z","weight":101}""",
        """{"kind":"stage","timestamp":"2025-06-01T10:00:00Z"}""",
        """{"kind":"stage","timestamp":"2025-06-01T10:00:00Z","weightPercent":null}""",
        """{"kind":"validation","timestamp":"2025-06-01T10:00:00Z","request_id":"r","endpoint":"holy_sheep","content_match":true,"finish_reason_match":"false","tokens_match":1,"model_field_match":null,"similarity":0.93,"latency_ms":5}""",
        """{"kind":"validation","timestamp":"2025-06-01T10:00:00Z"}""",
        """{"kind":"VALIDATION","timestamp":"2025-06-01T10:00:00Z","requestId":12,"similarity":"high"}""",
        """{"timestamp":"2025-06-01T10:00:00Z","end\u0070oint":"a","latency_ms":1,"status_code":200,"re\u0067ion":"\u00e9t\u00e9","emoji":"\ud83d\ude00"}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"caf\u00e9","latency_ms":1,"status_code":200,"x\"y":"q\"uote","a_very_long_property_name_that_goes_beyond_sixty_four_characters_for_sure_really":1}""",
        """{"timestamp":"2025-06-01T10:00:00Z", /* comment */ "endpoint":"a","latency_ms":1,"status_code":200} """,
        """  {"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200} {}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":01,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"x":NaN}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200,"régión":"été","<b>&'":"<i>","ok":"tab\tnewline\n","variant":" Canary ","kind":"Request"}""",
        """{"timestamp":"2025-06-01T10:00:00.000001Z","endpoint":" padded ","latency_ms":1,"status_code":200,"experiment":1.5e3,"request_id":-0.0,"model":"m\u00f6del","hash_bucket":"12","stream":"no","retry_count":2.0}""",
        """{"timestamp":"2025-06-01T10:00:00.1234567890123Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01t10:00:00z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00.5-05:30","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2024-02-29T23:59:59.999Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z ","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00ZZ","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"\u0032025-06-01T10:00:00Z","endpoint":"a","latency_ms":1,"status_code":200}""",
        """{"timestamp":"2025-06-01T10:00:00Z","endpoint":"a","latency_ms":1.0E2,"status_code":2e2,"cost_usd":-0.0,"ttft_ms":1e-7,"prompt_tokens":9007199254740993}""",
        """[1,2,3]""",
        "\"just a string\" ",
        """42""",
        """null""",
        """true""",
        """{}""",
        """{"timestamp":"2025-06-01T10:00:00Z"}""",
        "",
        "   ",
        "\t\r\n",
        "not json at all",
        "{\"timestamp\":\"2025-06-01T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200,\"bad\":\"\xff\"}",
        "{\"timestamp\":\"2025-06-01T10:00:00Z\",\"endpoint\":\"a\",\"latency_ms\":1,\"status_code\":200,\"ctl\":\"a\tb\"}",
    ];

    [Fact]
    public void Every_input_decodes_exactly_as_recorded()
    {
        var actual = Inputs().Select(input => Describe(Decoder.Decode(input))).ToList();
        var golden = Path.Combine(AppContext.BaseDirectory, "Fixtures", "decoder", "golden.txt");

        if (Environment.GetEnvironmentVariable("LOGANALYTICS_UPDATE_GOLDEN") == "1")
        {
            var source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fixtures", "decoder", "golden.txt"));
            Directory.CreateDirectory(Path.GetDirectoryName(source)!);
            File.WriteAllLines(source, actual);
            return;
        }

        var expected = File.ReadAllLines(golden);
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i] == actual[i], $"input #{i}: {Show(Inputs().ElementAt(i))}\nexpected {expected[i]}\nactual   {actual[i]}");
        }
    }

    private static IEnumerable<byte[]> Inputs()
    {
        foreach (var text in Handcrafted)
        {
            yield return text.Contains('\xff', StringComparison.Ordinal)
                ? Encoding.Latin1.GetBytes(text)
                : Encoding.UTF8.GetBytes(text);
        }
        var router = new SyntheticRouter(new SyntheticRouterOptions
        {
            Scenario = TrafficScenario.ErrorSpike,
            Seed = 5,
            Start = Now.AddMinutes(-30),
            MalformedFraction = 0.1,
        });
        foreach (var message in router.Take(3_000))
        {
            yield return message.Value;
        }
    }

    private static string Describe(DecodeResult result) =>
        JsonSerializer.Serialize(result.IsAccepted
            ? result.Event switch
            {
                RequestEvent r => r.ToString() + " Ticks=" + r.Timestamp.UtcTicks,
                TrafficEvent e => e + " Ticks=" + e.Timestamp.UtcTicks,
            }
            : "REJECT " + result.Rejection);

    private static string Show(byte[] input) => Encoding.UTF8.GetString(input);

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
