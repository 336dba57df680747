using System.Globalization;
using System.Text;

namespace LogAnalytics.SyntheticTraffic;

/// <summary>The kinds of line <see cref="HostileFile"/> writes.</summary>
public enum HostileKind
{
    /// <summary>A valid bare event.</summary>
    Valid,
    /// <summary>A valid event with a duplicate key (the first value is the event's, the second goes to attributes).</summary>
    DuplicateKey,
    /// <summary>A valid event with a NUL character in an attribute (stored whole, escaped).</summary>
    NulInAttribute,
    /// <summary>A valid event cut short.</summary>
    Truncated,
    /// <summary>A valid event with one bit flipped in a structural character (<c>{}":,</c>).</summary>
    BitFlip,
    /// <summary>NaN or Infinity as a number, bare or quoted.</summary>
    NanOrInfinity,
    /// <summary>Arrays nested deeper than any JSON reader's limit.</summary>
    DeepNesting,
    /// <summary>Random bytes (no newline).</summary>
    RandomBytes,
    /// <summary>A valid event encoded as UTF-16.</summary>
    Utf16,
    /// <summary>A NUL character inside the endpoint.</summary>
    NulInEndpoint,
    /// <summary>An endpoint of 1,000 characters (over the 256-character identifier limit).</summary>
    LongIdentifier,
    /// <summary>A 2 MB string field (over the 1 MiB message limit).</summary>
    Huge,
    /// <summary>A line of prose.</summary>
    Prose,
}

/// <summary>One line of a hostile file and what a correct decoder must do with it.</summary>
/// <param name="Line">The 0-based line number.</param>
/// <param name="Kind">What the line is.</param>
/// <param name="RequestId">For a valid event, its unique request id.</param>
/// <param name="Endpoint">For a valid event, the endpoint it must be stored with.</param>
/// <param name="LatencyMs">For a valid event, its latency.</param>
/// <param name="Bytes">The line's length in bytes.</param>
public sealed record HostileLine(long Line, HostileKind Kind, string? RequestId, string? Endpoint, double LatencyMs, long Bytes)
{
    /// <summary>Whether the line is a valid event that must be stored exactly as sent.</summary>
    public bool IsValid => Kind is HostileKind.Valid or HostileKind.DuplicateKey or HostileKind.NulInAttribute;
}

/// <summary>
/// Writes a seeded hostile NDJSON file (truncations, bit flips, NaN/Infinity, deep nesting, random bytes, UTF-16,
/// duplicate keys, NUL characters, over-long identifiers, 2 MB fields, prose) mixed with valid events, and says what
/// each line is, so tests and benchmarks can check that every valid event is stored exactly as sent and every other
/// line is quarantined.
/// </summary>
public static class HostileFile
{
    private static readonly string[] Endpoints = ["legacy", "holy_sheep", "ünïcode-ëndpoint", "a\"quoted\"one"];

    /// <summary>Writes <paramref name="lines"/> lines, <paramref name="hugeLines"/> of them 2 MB long.</summary>
    public static IReadOnlyList<HostileLine> Write(Stream stream, int lines, int hugeLines, int seed = 12)
    {
        var random = new Random(seed);
        var huge = new HashSet<int>();
        while (huge.Count < Math.Min(hugeLines, lines))
        {
            huge.Add(random.Next(lines));
        }
        var result = new List<HostileLine>(lines);
        var start = new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < lines; i++)
        {
            var id = $"h-{i}";
            var endpoint = Endpoints[random.Next(Endpoints.Length)];
            var latency = Math.Round(random.NextDouble() * 2000, 3);
            var ts = start.AddSeconds(i).ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
            string Event(string extra = "", string? endpointJson = null) => string.Create(CultureInfo.InvariantCulture,
                $"{{\"timestamp\":\"{ts}\",\"endpoint\":{endpointJson ?? Quote(endpoint)},\"latency_ms\":{latency},\"status_code\":200,\"request_id\":\"{id}\"{extra}}}");
            var draw = random.Next((int)HostileKind.Huge + 2);
            var kind = huge.Contains(i) ? HostileKind.Huge
                : draw > (int)HostileKind.Huge ? HostileKind.Valid // valid events are the most common line
                : draw == (int)HostileKind.Huge ? HostileKind.Prose
                : (HostileKind)draw;
            byte[] bytes = kind switch
            {
                HostileKind.Valid => Utf8(Event()),
                HostileKind.DuplicateKey => Utf8(Event($",\"endpoint\":\"dup-{i}\"")),
                HostileKind.NulInAttribute => Utf8(Event(",\"note\":\"le\\u0000gacy\"")),
                HostileKind.Truncated => Truncate(Utf8(Event()), random),
                HostileKind.BitFlip => FlipStructural(Utf8(Event()), random),
                HostileKind.NanOrInfinity => Utf8(Event().Replace(string.Create(CultureInfo.InvariantCulture, $"\"latency_ms\":{latency}"),
                    new[] { "\"latency_ms\":NaN", "\"latency_ms\":Infinity", "\"latency_ms\":-Infinity", "\"latency_ms\":\"NaN\"", "\"latency_ms\":\"Infinity\"", "\"latency_ms\":1e999" }[random.Next(6)], StringComparison.Ordinal)),
                HostileKind.DeepNesting => Utf8(Event($",\"deep\":{new string('[', 5000)}{new string(']', 5000)}")),
                HostileKind.RandomBytes => RandomBytes(random),
                HostileKind.Utf16 => (random.Next(2) == 0 ? Encoding.Unicode : Encoding.BigEndianUnicode).GetBytes(Event()),
                HostileKind.NulInEndpoint => Utf8(Event(endpointJson: "\"le\\u0000gacy\"")),
                HostileKind.LongIdentifier => Utf8(Event(endpointJson: Quote(new string('e', 1_000)))),
                HostileKind.Huge => Utf8(random.Next(2) == 0 ? Event(endpointJson: Quote(new string('x', 2 << 20))) : Event($",\"note\":{Quote(new string('n', 2 << 20))}")),
                _ => Utf8($"Request {i} succeeded in {latency} ms"),
            };
            stream.Write(bytes);
            stream.WriteByte((byte)'\n');
            result.Add(new HostileLine(i, kind, id, endpoint, latency, bytes.Length));
        }
        return result;
    }

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] Truncate(byte[] line, Random random) => line[..random.Next(1, line.Length - 1)];

    private static byte[] FlipStructural(byte[] line, Random random)
    {
        var positions = Enumerable.Range(0, line.Length).Where(i => line[i] is (byte)'{' or (byte)'}' or (byte)'"' or (byte)':' or (byte)',').ToArray();
        var at = positions[random.Next(positions.Length)];
        line[at] ^= (byte)(1 << random.Next(7));
        if (line[at] is (byte)'\n' or (byte)'{' or (byte)'}' or (byte)'"' or (byte)':' or (byte)',')
        {
            line[at] = (byte)'#'; // still a flip of a structural character, never another structural one or a line break
        }
        return line;
    }

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(1, 400)];
        random.NextBytes(bytes);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] is (byte)'\n' or (byte)'\r' or (byte)'{')
            {
                bytes[i] = 0xFF;
            }
        }
        bytes[0] = 0xFE; // never a blank line
        return bytes;
    }
}
