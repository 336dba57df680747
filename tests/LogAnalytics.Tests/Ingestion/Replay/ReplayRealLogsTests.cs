using System.Globalization;
using System.Text;
using System.Text.Json;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Ingestion.Replay;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Ingestion.Replay;

/// <summary>
/// Replaying what routers and shippers really write: every form of the same event stores the same row; mixed files
/// give the right count per reason; CRI partial chains are joined across transaction boundaries and after a resume;
/// a hostile file stores every valid event exactly as sent and quarantines every other line with a reason.
/// </summary>
public sealed class ReplayRealLogsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-replay-reallogs-").FullName;

    private string Db => Path.Combine(_dir, "replay.duckdb");

    private static string Guide(int i, string endpoint = "legacy") => string.Create(CultureInfo.InvariantCulture,
        $$"""{"timestamp": "2026-11-24T10:{{i / 60:00}}:{{i % 60:00}}", "endpoint": "{{endpoint}}", "model": "gpt-4.1", "latency_ms": {{300 + i}}.25, "status_code": 200, "request_id": "g-{{i}}", "success": true}""");

    private static string Escaped(string text) => JsonSerializer.Serialize(text);

    /// <summary>Event <paramref name="i"/> in each form, one line each, and CRI chains of three lines.</summary>
    private static IEnumerable<(string Form, string[] Lines)> Forms(int i)
    {
        var line = "[TRAFFIC LOG] " + Guide(i);
        yield return ("bare", [Guide(i)]);
        yield return ("prefixed", [line]);
        yield return ("docker", [$"{{\"log\":{Escaped(line + "\n")},\"stream\":\"stdout\",\"time\":\"2026-11-24T10:00:01.123456789Z\"}}"]);
        yield return ("vector", [$"{{\"message\":{Escaped(line)},\"timestamp\":\"2026-11-24T10:00:01.2Z\",\"source_type\":\"file\"}}"]);
        yield return ("filebeat", [$"{{\"@timestamp\":\"2026-11-24T10:00:01.2Z\",\"message\":{Escaped(line)},\"log\":{{\"offset\":7}}}}"]);
        yield return ("event object", [$"{{\"event\":{Guide(i)},\"time\":1795860001}}"]);
        yield return ("cri", [$"2026-11-24T10:00:01.1Z stdout F {line}"]);
        yield return ("cri partial", [$"2026-11-24T10:00:01.1Z stdout P {line[..30]}", $"2026-11-24T10:00:01.1Z stdout P {line[30..90]}", $"2026-11-24T10:00:01.1Z stdout F {line[90..]}"]);
    }

    [Fact]
    public void Every_form_stores_the_same_row_as_the_bare_event_and_mixed_lines_count_per_reason()
    {
        var path = Path.Combine(_dir, "mixed.log");
        var expected = new Dictionary<string, long>();
        var forms = 0;
        using (var writer = new StreamWriter(path))
        {
            for (var i = 0; i < 50; i++)
            {
                foreach (var (_, lines) in Forms(i))
                {
                    forms += i == 0 ? 1 : 0;
                    lines.ToList().ForEach(writer.WriteLine);
                }
                writer.WriteLine($"Request {i} succeeded");                                      // not_an_event
                writer.WriteLine("[TRAFFIC LOG] " + Guide(i)[..40]);                            // not_json (a broken event)
                writer.WriteLine("{\"log\":\"Request done\\n\",\"stream\":\"stdout\"}");        // not_an_event (prose in an envelope)
                writer.WriteLine(Guide(i).Replace("\"latency_ms\"", "\"latency\"", StringComparison.Ordinal)); // missing_field
                writer.WriteLine($"2026-11-24T10:00:01.1Z stdout P {{\"timestamp\": ");          // partial_line: its chain is broken by
                writer.WriteLine("");                                                             // a blank line (skipped, not stored)
            }
        }
        expected[RejectionReasons.NotAnEvent] = 100;
        expected[RejectionReasons.NotJson] = 50;
        expected[RejectionReasons.MissingField] = 50;
        expected[RejectionReasons.PartialLine] = 50;

        using var store = DuckDbEventStore.Open(Db);
        // Small transactions, so CRI chains straddle the line-count boundary of a block.
        var result = new FileReplayer(store, new EventDecoder()) { BatchLines = 7 }.Replay(path);

        Assert.Equal(50 * forms, result.Stored);
        Assert.Equal(100, result.NotEvents);
        Assert.Equal(150, result.BrokenEvents);
        var reasons = Rows(store, "SELECT reason, count(*) FROM quarantine GROUP BY reason").ToDictionary(r => (string)r[0], r => Convert.ToInt64(r[1], CultureInfo.InvariantCulture));
        Assert.Equal(expected.OrderBy(e => e.Key), reasons.OrderBy(e => e.Key));

        // Every form of event i is one and the same row, except where it came from.
        Assert.Equal(50 * forms, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(50, Count(store, "SELECT count(*) FROM (SELECT DISTINCT * EXCLUDE (source, source_partition, source_offset, ingested_at) FROM requests)"));
        Assert.Equal("{\"success\":true}", (string)Rows(store, "SELECT DISTINCT attributes::VARCHAR FROM requests").Single()[0]);
        // A joined CRI chain is stored at its F line's offset, and no line is stored twice.
        Assert.Equal(Count(store, "SELECT count(*) FROM requests"), Count(store, "SELECT count(DISTINCT source_offset) FROM requests"));
    }

    [Fact]
    public void A_resumed_replay_joins_cri_chains_as_the_first_run_would_have()
    {
        var path = Path.Combine(_dir, "cri.log");
        using (var writer = new StreamWriter(path))
        {
            for (var i = 0; i < 400; i++)
            {
                foreach (var l in Forms(i).Single(f => f.Form == "cri partial").Lines)
                {
                    writer.WriteLine(l);
                }
            }
        }
        using var store = DuckDbEventStore.Open(Db);
        using (var cts = new CancellationTokenSource())
        {
            var reports = 0;
            try
            {
                new FileReplayer(store, new EventDecoder()) { BatchLines = 20 }.Replay(path, new InlineProgress(_ =>
                {
                    if (++reports == 3)
                    {
                        cts.Cancel();
                    }
                }), cts.Token);
            }
            catch (OperationCanceledException)
            {
            }
        }
        var partial = Count(store, "SELECT count(*) FROM requests");
        Assert.InRange(partial, 1, 399);

        var resumed = new FileReplayer(store, new EventDecoder()) { BatchLines = 20 }.Replay(path);

        Assert.Equal(0, Count(store, "SELECT count(*) FROM quarantine"));
        Assert.Equal(400, Count(store, "SELECT count(DISTINCT request_id) FROM requests"));
        Assert.Equal(400, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(400 - partial, resumed.Stored);
    }

    [Fact]
    public void A_hostile_file_stores_every_valid_event_exactly_as_sent_and_quarantines_every_other_line_with_a_reason()
    {
        var path = Path.Combine(_dir, "hostile.ndjson");
        IReadOnlyList<HostileLine> lines;
        using (var file = File.Create(path))
        {
            lines = HostileFile.Write(file, 10_000, hugeLines: 20);
        }
        using var store = DuckDbEventStore.Open(Db);

        var result = new FileReplayer(store, new EventDecoder()).Replay(path);

        var valid = lines.Where(l => l.IsValid).ToList();
        Assert.InRange(valid.Count, 2_000, 4_000);
        Assert.Equal(10_000, result.Lines);
        Assert.Equal(valid.Count, result.Stored);
        Assert.Equal(10_000 - valid.Count, result.Quarantined);

        var stored = Rows(store, "SELECT source_offset, request_id, endpoint, latency_ms, attributes::VARCHAR FROM requests")
            .ToDictionary(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture));
        foreach (var line in valid)
        {
            var row = stored[line.Line];
            Assert.Equal(line.RequestId, row[1]);
            Assert.Equal(line.Endpoint, row[2]);
            Assert.Equal(line.LatencyMs, Convert.ToDouble(row[3], CultureInfo.InvariantCulture));
            switch (line.Kind)
            {
                case HostileKind.DuplicateKey:
                    Assert.Equal($"{{\"endpoint\":\"dup-{line.Line}\"}}", row[4]);
                    break;
                case HostileKind.NulInAttribute:
                    Assert.Equal("le\0gacy", JsonDocument.Parse((string)row[4]).RootElement.GetProperty("note").GetString());
                    break;
                default:
                    Assert.True(row[4] is DBNull or null, $"line {line.Line}: {row[4]}");
                    break;
            }
        }

        var quarantined = Rows(store, "SELECT source_offset, reason, detail, octet_length(raw) FROM quarantine")
            .ToDictionary(r => Convert.ToInt64(r[0], CultureInfo.InvariantCulture));
        foreach (var line in lines.Where(l => !l.IsValid))
        {
            Assert.True(quarantined.TryGetValue(line.Line, out var row), $"line {line.Line} ({line.Kind}) is neither stored nor quarantined");
            var reason = (string)row[1];
            var allowed = line.Kind switch
            {
                HostileKind.Huge => [RejectionReasons.TooLarge],
                HostileKind.LongIdentifier => [RejectionReasons.OutOfRange],
                HostileKind.NulInEndpoint => [RejectionReasons.InvalidType],
                HostileKind.Prose => [RejectionReasons.NotAnEvent],
                HostileKind.NanOrInfinity => [RejectionReasons.NotJson, RejectionReasons.InvalidType, RejectionReasons.OutOfRange],
                HostileKind.RandomBytes => [RejectionReasons.NotJson, RejectionReasons.NotAnEvent],
                // A flipped ':' inside the timestamp's text is a bad timestamp rather than bad JSON: any reason will do.
                HostileKind.BitFlip => typeof(RejectionReasons).GetFields().Select(f => (string)f.GetValue(null)!).ToArray(),
                _ => new[] { RejectionReasons.NotJson },
            };
            Assert.True(allowed.Contains(reason), $"line {line.Line} ({line.Kind}): {reason} {row[2]}");
            var kept = Convert.ToInt64(row[3], CultureInfo.InvariantCulture);
            if (line.Kind == HostileKind.Huge)
            {
                Assert.Equal(EventDecoder.DefaultMaxMessageBytes, kept);
                Assert.Contains(line.Bytes.ToString(CultureInfo.InvariantCulture), (string)row[2], StringComparison.Ordinal);
            }
            else
            {
                Assert.Equal(line.Bytes, kept);
            }
        }
    }

    private static long Count(DuckDbEventStore store, string sql) => Convert.ToInt64(store.Scalar(sql), CultureInfo.InvariantCulture);

    private static List<object[]> Rows(DuckDbEventStore store, string sql)
    {
        using var command = store.Connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<object[]>();
        while (reader.Read())
        {
            var row = new object[reader.FieldCount];
            reader.GetValues(row);
            rows.Add(row);
        }
        return rows;
    }

    private sealed class InlineProgress(Action<ReplayProgress> report) : IProgress<ReplayProgress>
    {
        public void Report(ReplayProgress value) => report(value);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
