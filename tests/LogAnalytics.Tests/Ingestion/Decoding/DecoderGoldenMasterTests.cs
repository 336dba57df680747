using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;

namespace LogAnalytics.Tests.Ingestion.Decoding;

/// <summary>
/// The decoder's whole observable behaviour on a fixed corpus, pinned before it was optimised for per-message CPU
/// (issue 9): every synthetic scenario (2,000 messages each, malformed ones mixed in, fixed seeds), a small hostile file
/// (<see cref="HostileFile"/>: truncations, bit flips, NaN, deep nesting, random bytes, UTF-16, NUL, 2 MB lines...) and
/// every message the decoding, envelope and replay tests handed to a decoder at commit 717b475 (captured while they
/// ran, with the clock and settings of the decoder each was given, at most two per shape of message:
/// Fixtures/decoder/test-messages.jsonl.gz). Each result is written canonically (the event's type and
/// every public property in an exact form, attributes as their exact text, or the rejection's reason and detail) and
/// compared line by line with Fixtures/decoder/golden-master.txt.gz, recorded by the decoder at commit 717b475.
/// To re-record after an intended change: LOGANALYTICS_UPDATE_GOLDEN=1, then review what changed.
/// </summary>
public sealed class DecoderGoldenMasterTests
{
    private const string GoldenFile = "golden-master.txt.gz";
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Every_message_of_the_corpus_decodes_exactly_as_recorded()
    {
        var actual = Corpus().Select(c => $"{c.Label}\t{Canonical(c.Decoder.Decode(c.Message))}").ToList();
        Assert.True(actual.Count > 12_000, $"the corpus has only {actual.Count} messages");

        if (Environment.GetEnvironmentVariable("LOGANALYTICS_UPDATE_GOLDEN") == "1")
        {
            var source = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "..", "Fixtures", "decoder", GoldenFile));
            using var file = File.Create(source);
            using var gzip = new GZipStream(file, CompressionLevel.SmallestSize);
            using var writer = new StreamWriter(gzip, new UTF8Encoding(false)) { NewLine = "\n" };
            foreach (var line in actual)
            {
                writer.WriteLine(line);
            }
            return;
        }

        var expected = ReadLines(GoldenFile);
        var mismatches = new List<string>();
        for (var i = 0; i < Math.Min(expected.Count, actual.Count); i++)
        {
            if (!string.Equals(expected[i], actual[i], StringComparison.Ordinal))
            {
                mismatches.Add($"expected {expected[i]}\nactual   {actual[i]}");
            }
        }
        Assert.True(mismatches.Count == 0, $"{mismatches.Count} of {actual.Count} messages decode differently; the first ones:\n" + string.Join("\n", mismatches.Take(5)));
        Assert.Equal(expected.Count, actual.Count);
    }

    private static List<string> ReadLines(string gzipFile)
    {
        using var file = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "Fixtures", "decoder", gzipFile));
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, Encoding.UTF8);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }
        return lines;
    }

    private sealed record Case(string Label, EventDecoder Decoder, byte[] Message);

    private static IEnumerable<Case> Corpus()
    {
        var decoder = new EventDecoder(new FixedClock(Now));
        var seed = 100;
        foreach (var scenario in TrafficScenario.Presets)
        {
            var router = new SyntheticRouter(new SyntheticRouterOptions
            {
                Scenario = scenario,
                Seed = ++seed,
                Start = Now.AddHours(-6),
                MalformedFraction = 0.05,
            });
            foreach (var message in router.Take(2_000))
            {
                yield return new Case($"{scenario.Name}#{message.Sequence}", decoder, message.Value);
            }
        }

        using var hostile = new MemoryStream();
        HostileFile.Write(hostile, lines: 400, hugeLines: 2, seed: 12);
        var bytes = hostile.ToArray();
        var line = 0;
        for (var start = 0; start < bytes.Length; line++)
        {
            var end = Array.IndexOf(bytes, (byte)'\n', start);
            end = end < 0 ? bytes.Length : end;
            yield return new Case($"hostile#{line}", decoder, bytes[start..end]);
            start = end + 1;
        }

        var decoders = new Dictionary<string, EventDecoder>(StringComparer.Ordinal);
        var number = 0;
        foreach (var captured in ReadLines("test-messages.jsonl.gz"))
        {
            using var json = JsonDocument.Parse(captured);
            var root = json.RootElement;
            var now = root.GetProperty("now").GetInt64();
            var skew = root.GetProperty("skew").GetInt64();
            var max = root.GetProperty("max").GetInt32();
            var path = root.GetProperty("path").GetString();
            var key = $"{now}/{skew}/{max}/{path}";
            if (!decoders.TryGetValue(key, out var configured))
            {
                configured = decoders[key] = new EventDecoder(new FixedClock(new DateTimeOffset(now, TimeSpan.Zero)), TimeSpan.FromTicks(skew), max, path);
            }
            yield return new Case($"tests#{number++}", configured, Convert.FromBase64String(root.GetProperty("b64").GetString()!));
        }
    }

    /// <summary>The result as one line: the event's type and every public property (found by reflection, so a
    /// property added later is covered too), or the rejection.</summary>
    private static string Canonical(DecodeResult result)
    {
        if (!result.IsAccepted)
        {
            return "REJECT " + Escape(result.Rejection.Reason) + " " + Escape(result.Rejection.Detail);
        }
        var evt = result.Event;
        var text = new StringBuilder(evt.GetType().Name);
        foreach (var property in evt.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (property.Name == "EqualityContract")
            {
                continue;
            }
            text.Append(' ').Append(property.Name).Append('=').Append(Value(property.GetValue(evt)));
        }
        return text.ToString();
    }

    private static string Value(object? value) => value switch
    {
        null => "null",
        string s => Escape(s),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => string.Create(CultureInfo.InvariantCulture, $"{t.UtcTicks}{(t.Offset == TimeSpan.Zero ? "" : "@" + t.Offset.Ticks)}"),
        bool b => b ? "true" : "false",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => throw new InvalidOperationException($"no canonical form for {value.GetType()}"),
    };

    /// <summary>A string in quotes, exact to the UTF-16 code unit: printable ASCII as is, everything else as \uXXXX.</summary>
    private static string Escape(string text)
    {
        var escaped = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            if (c is >= ' ' and <= '~' and not '"' and not '\\')
            {
                escaped.Append(c);
            }
            else
            {
                escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }
        return escaped.Append('"').ToString();
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
