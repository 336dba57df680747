using System.Globalization;
using System.Text;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Tests.Storage;

/// <summary>
/// <see cref="DuckDbEventStore.Write"/> fills DuckDB's data chunks itself (<see cref="DuckDbChunkAppender"/>): every
/// value read back from DuckDB must be the value written, across chunk boundaries, for NULL in every nullable column,
/// for strings that are inlined (up to 12 UTF-8 bytes) or not, non-ASCII, escaped, with NUL characters and very long,
/// and for timestamps before 1970 or with ticks below a microsecond. The peer for the whole rows is DuckDB.NET's own
/// appender, which the store used before.
/// </summary>
public sealed class DuckDbChunkAppenderTests : IDisposable
{
    private static readonly DateTimeOffset Ts = new(2026, 11, 24, 10, 0, 0, TimeSpan.Zero);

    // Lengths around the 12-byte inline limit in UTF-8 bytes, multi-byte characters, escapes, JSON-looking text.
    private static readonly string[] Strings =
    [
        "", "a", "holy_sheep", "exactly12byt", "thirteen byte", "€€€€", "€€€€€", "ü", "naïve café", "日本語のモデル名",
        "😀", "a😀b😀c😀", "tab\tnew\nline", "quote\" back\\slash", "{\"k\":\"v\\u00e9\"}", "' OR 1=1 --",
        new string('x', 11), new string('x', 12), new string('x', 13), new string('é', 6), new string('é', 7),
    ];

    // Long strings (far beyond the inline limit, several vector-heap blocks), drawn now and then.
    private static readonly string[] LongStrings = [new string('z', 5000), string.Concat(Enumerable.Repeat("ünïcödé ", 5_000))];

    private readonly string _dir = Directory.CreateTempSubdirectory("la-chunks-").FullName;

    private string Db => Path.Combine(_dir, "t.duckdb");

    private static string Pick(Random random) =>
        random.Next(100) == 0 ? LongStrings[random.Next(LongStrings.Length)] : Strings[random.Next(Strings.Length)];

    private static T? Maybe<T>(Random random, T value) where T : class => random.Next(4) == 0 ? null : value;

    private static T? MaybeValue<T>(Random random, T value) where T : struct => random.Next(4) == 0 ? null : value;

    internal static RequestEvent RandomRequest(Random random) => new()
    {
        Timestamp = Ts.AddTicks(random.NextInt64(-10_000_000_000, 10_000_000_000)),
        Endpoint = Pick(random),
        LatencyMs = random.NextDouble() * 10_000,
        StatusCode = random.Next(0, 600),
        Experiment = Maybe(random, Pick(random)),
        Variant = Maybe(random, random.Next(2) == 0 ? Variants.Canary : Variants.Baseline),
        RequestId = Maybe(random, $"req-{random.Next()}"),
        Model = Maybe(random, Pick(random)),
        HashBucket = MaybeValue(random, random.NextInt64(long.MinValue, long.MaxValue)),
        PromptTokens = MaybeValue(random, random.NextInt64(0, 1_000_000)),
        CompletionTokens = MaybeValue(random, random.NextInt64(0, 1_000_000)),
        TotalTokens = MaybeValue(random, random.NextInt64(0, 2_000_000)),
        CostUsd = MaybeValue(random, random.NextDouble()),
        TtftMs = MaybeValue(random, random.NextDouble() * 1000),
        Stream = MaybeValue(random, random.Next(2) == 0),
        ErrorType = Maybe(random, Pick(random)),
        Error = Maybe(random, Pick(random)),
        RetryCount = MaybeValue(random, random.Next(int.MinValue, int.MaxValue)),
        Attributes = Maybe(random, "{\"region\":\"" + Strings[random.Next(12)] + "\"}"),
        RetryAfterMs = MaybeValue(random, random.NextDouble() * 60_000),
    };

    private static ValidationEvent RandomValidation(Random random) => new()
    {
        Timestamp = Ts.AddTicks(random.NextInt64(-10_000_000_000, 10_000_000_000)),
        RequestId = Pick(random),
        Experiment = Maybe(random, Pick(random)),
        Endpoint = Maybe(random, Pick(random)),
        ContentMatch = MaybeValue(random, random.Next(2) == 0),
        FinishReasonMatch = MaybeValue(random, random.Next(2) == 0),
        TokensMatch = MaybeValue(random, random.Next(2) == 0),
        ModelFieldMatch = MaybeValue(random, random.Next(2) == 0),
        Similarity = MaybeValue(random, random.NextDouble()),
        Attributes = Maybe(random, "{\"n\":" + random.Next() + "}"),
    };

    private static StageEvent RandomStage(Random random) => new()
    {
        Timestamp = Ts.AddTicks(random.NextInt64(-10_000_000_000, 10_000_000_000)),
        WeightPercent = random.NextDouble() * 100,
        Experiment = Maybe(random, Pick(random)),
        Attributes = Maybe(random, "{\"by\":\"argo\"}"),
    };

    /// <summary>About 6,000 messages over two partitions, every kind mixed, so each table spans several chunks.</summary>
    internal static IngestBatch RandomBatch(int seed, long from, int count)
    {
        var random = new Random(seed);
        var batch = new IngestBatch();
        for (var o = from; o < from + count; o++)
        {
            var position = new SourcePosition("topic", (int)(o % 2), o);
            var roll = random.Next(10);
            if (roll < 6)
            {
                batch.Add(position, DecodeResult.Accept(RandomRequest(random)), null, null, Ts);
            }
            else if (roll < 8)
            {
                batch.Add(position, DecodeResult.Accept(RandomValidation(random)), null, null, Ts);
            }
            else if (roll < 9)
            {
                batch.Add(position, DecodeResult.Accept(RandomStage(random)), null, null, Ts);
            }
            else
            {
                var raw = Maybe(random, Encoding.UTF8.GetBytes(Pick(random)));
                var key = Maybe(random, new[] { (byte)0, (byte)255, (byte)random.Next(256) });
                batch.Add(position, DecodeResult.Reject(RejectionReasons.NotJson, Pick(random)), key, raw,
                    Ts.AddTicks(random.Next()));
            }
        }
        return batch;
    }

    [Fact]
    public void Every_value_of_every_table_reads_back_as_written_across_chunks_with_nulls_in_every_nullable_column()
    {
        var batch = RandomBatch(seed: 7, from: 0, count: 12_000);
        using var store = DuckDbEventStore.Open(Db);
        var written = store.Write(batch);
        Assert.Equal(batch.Count, written.Total);
        Assert.True(written.Requests > 2 * 2048, "requests span several chunks");

        var requests = Rows(store, "requests", 24);
        var validations = Rows(store, "validations", 14);
        var stages = Rows(store, "stages", 8);
        var quarantine = Rows(store, "quarantine", 8);
        Assert.Equal(written.Requests, requests.Count);
        Assert.Equal(written.Validations, validations.Count);
        Assert.Equal(written.Stages, stages.Count);
        Assert.Equal(written.Quarantined, quarantine.Count);

        foreach (var (position, evt) in batch.Events)
        {
            switch (evt)
            {
                case RequestEvent r:
                    var row = requests[(position.Partition, position.Offset)];
                    Assert.Equal<object?>(
                        [position.Source, Micros(r.Timestamp), r.Experiment, r.Variant, r.Endpoint, r.RequestId, r.Model, r.HashBucket,
                         r.StatusCode, r.LatencyMs, r.TtftMs, r.PromptTokens, r.CompletionTokens, r.TotalTokens, r.CostUsd, r.Stream,
                         r.ErrorType, r.Error, r.RetryCount, r.Attributes, r.RetryAfterMs],
                        [row[0], row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13], row[14], row[15],
                         row[16], row[17], row[18], row[19], row[20], row[21], row[22], row[23]]);
                    break;
                case ValidationEvent v:
                    row = validations[(position.Partition, position.Offset)];
                    Assert.Equal<object?>(
                        [Micros(v.Timestamp), v.Experiment, v.RequestId, v.Endpoint, v.ContentMatch, v.FinishReasonMatch, v.TokensMatch,
                         v.ModelFieldMatch, v.Similarity, v.Attributes],
                        [row[4], row[5], row[6], row[7], row[8], row[9], row[10], row[11], row[12], row[13]]);
                    break;
                case StageEvent s:
                    row = stages[(position.Partition, position.Offset)];
                    Assert.Equal<object?>([Micros(s.Timestamp), s.Experiment, s.WeightPercent, s.Attributes], [row[4], row[5], row[6], row[7]]);
                    break;
            }
        }
        foreach (var q in batch.Quarantined)
        {
            var row = quarantine[(q.Position.Partition, q.Position.Offset)];
            Assert.Equal<object?>([Micros(q.ReceivedAt), q.Rejection.Reason, q.Rejection.Detail], [row[3], row[4], row[5]]);
            Assert.Equal(q.Key, (byte[]?)row[6]);
            Assert.Equal(q.Raw, (byte[]?)row[7]);
        }
        // Every nullable column held NULL somewhere and a value somewhere (so both paths were exercised).
        foreach (var (table, nullable) in new[]
        {
            ("requests", new[] { "experiment", "variant", "request_id", "model", "hash_bucket", "ttft_ms", "prompt_tokens", "completion_tokens", "total_tokens", "cost_usd", "stream", "error_type", "error", "retry_count", "attributes", "retry_after_ms" }),
            ("validations", new[] { "experiment", "endpoint", "content_match", "finish_reason_match", "tokens_match", "model_field_match", "similarity", "attributes" }),
            ("stages", new[] { "experiment", "attributes" }),
            ("quarantine", new[] { "message_key", "raw" }),
        })
        {
            foreach (var column in nullable)
            {
                Assert.True(Count(store, $"SELECT count(*) FROM {table} WHERE {column} IS NULL") > 0, $"{table}.{column} has a NULL");
                Assert.True(Count(store, $"SELECT count(*) FROM {table} WHERE {column} IS NOT NULL") > 0, $"{table}.{column} has a value");
            }
        }
    }

    [Fact]
    public void Rows_equal_what_DuckDB_NETs_own_appender_stores_for_the_same_events()
    {
        // The peer: the CreateRow().AppendValue(...) chain the store used before, into a copy of the table.
        var batch = RandomBatch(seed: 11, from: 0, count: 6_000);
        using var store = DuckDbEventStore.Open(Db);
        store.Write(batch);
        store.Execute("CREATE TABLE requests_peer AS FROM requests LIMIT 0");
        using (var appender = store.Connection.CreateAppender("requests_peer"))
        {
            foreach (var (position, evt) in batch.Events)
            {
                if (evt is RequestEvent r)
                {
                    appender.CreateRow()
                        .AppendValue(position.Source).AppendValue(position.Partition).AppendValue(position.Offset)
                        .AppendValue(Ts).AppendValue(r.Timestamp).AppendValue(r.Experiment).AppendValue(r.Variant)
                        .AppendValue(r.Endpoint).AppendValue(r.RequestId).AppendValue(r.Model).AppendValue(r.HashBucket)
                        .AppendValue(r.StatusCode).AppendValue(r.LatencyMs).AppendValue(r.TtftMs)
                        .AppendValue(r.PromptTokens).AppendValue(r.CompletionTokens).AppendValue(r.TotalTokens)
                        .AppendValue(r.CostUsd).AppendValue(r.Stream).AppendValue(r.ErrorType).AppendValue(r.Error)
                        .AppendValue(r.RetryCount).AppendValue(r.Attributes).AppendValue(r.RetryAfterMs)
                        .EndRow();
                }
            }
        }
        const string Columns = "* EXCLUDE (ingested_at)";
        Assert.True(Count(store, "SELECT count(*) FROM requests_peer") > 3000);
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {Columns} FROM requests EXCEPT ALL SELECT {Columns} FROM requests_peer)"));
        Assert.Equal(0, Count(store, $"SELECT count(*) FROM (SELECT {Columns} FROM requests_peer EXCEPT ALL SELECT {Columns} FROM requests)"));
        // Strings compare by content, also inlined ones against heap ones: grouping finds one group per distinct string.
        Assert.Equal(
            batch.Events.Select(e => e.Event).OfType<RequestEvent>().Select(r => r.Endpoint).Distinct().Count(),
            Count(store, "SELECT count(DISTINCT endpoint) FROM (FROM requests UNION ALL FROM requests_peer)"));
    }

    [Fact]
    public void Timestamps_are_stored_as_utc_microseconds_rounded_down_also_before_1970_and_with_an_offset()
    {
        var stamps = new[]
        {
            new DateTimeOffset(1969, 12, 31, 23, 59, 59, TimeSpan.Zero).AddTicks(9_999_999), // .9999999 before the epoch
            new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(5),
            new DateTimeOffset(2026, 11, 24, 12, 30, 0, TimeSpan.FromHours(2)).AddTicks(1_234_567),
            new DateTimeOffset(2026, 3, 29, 1, 59, 59, TimeSpan.FromHours(-9.5)).AddTicks(9),
            DateTimeOffset.UnixEpoch,
        };
        var batch = new IngestBatch();
        for (var i = 0; i < stamps.Length; i++)
        {
            batch.Add(new SourcePosition("t", 0, i), DecodeResult.Accept(new StageEvent { Timestamp = stamps[i], WeightPercent = i }), null, null, stamps[i]);
        }
        using var store = DuckDbEventStore.Open(Db);
        store.Write(batch);
        using var cmd = store.Connection.CreateCommand();
        cmd.CommandText = "SELECT strftime(timezone('UTC', ts), '%Y-%m-%d %H:%M:%S.%f') FROM stages ORDER BY source_offset";
        using var reader = cmd.ExecuteReader();
        foreach (var stamp in stamps)
        {
            Assert.True(reader.Read());
            // .NET's ffffff truncates the 7th digit: the microsecond at or below the instant.
            Assert.Equal(stamp.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture), reader.GetString(0));
        }
    }

    [Fact]
    public void Nul_characters_and_a_string_of_several_megabytes_are_kept_whole()
    {
        var huge = string.Concat(Enumerable.Repeat("große Antwort \"quoted\" 🚀 ", 200_000)); // ~6 MB of UTF-8
        using var store = DuckDbEventStore.Open(Db);
        var row = StoreOne(store, new RequestEvent
        {
            Timestamp = Ts, Endpoint = "a\0b", LatencyMs = 1, StatusCode = 200, RequestId = "\0", Error = huge, Model = "nul\0in the middle",
        });
        Assert.Equal("a\0b", row[7]);
        Assert.Equal("\0", row[8]);
        Assert.Equal("nul\0in the middle", row[9]);
        Assert.Equal(huge, row[20]);
        Assert.Equal(Encoding.UTF8.GetByteCount(huge), Count(store, "SELECT strlen(error) FROM requests"));
    }

    [Fact]
    public void Lone_surrogates_are_stored_as_the_replacement_character_in_short_and_long_strings()
    {
        // The chunk writer hands DuckDB the UTF-8 of .NET's encoder without DuckDB's own UTF-8 check: a string that is
        // not valid UTF-16 must still arrive as valid UTF-8 (U+FFFD for each lone surrogate), inlined or not.
        var shortOne = "a\uD800b"; // inlined (at most 12 bytes)
        var longOne = "a lone high \uD83D and a lone low \uDE80 surrogate, and a pair 🚀";
        using var store = DuckDbEventStore.Open(Db);
        var row = StoreOne(store, new RequestEvent { Timestamp = Ts, Endpoint = shortOne, LatencyMs = 1, StatusCode = 200, RequestId = longOne });
        Assert.Equal("a\uFFFDb", row[7]);
        Assert.Equal("a lone high \uFFFD and a lone low \uFFFD surrogate, and a pair 🚀", row[8]);
        // DuckDB's own string functions see valid UTF-8 of the expected length (in characters).
        Assert.Equal(3, Count(store, "SELECT length(endpoint) FROM requests"));
        Assert.Equal(Encoding.UTF8.GetByteCount(longOne), Count(store, "SELECT strlen(request_id) FROM requests"));
    }

    [Fact]
    public void A_batch_partly_stored_already_adds_only_the_new_rows_with_their_values()
    {
        using var store = DuckDbEventStore.Open(Db);
        var first = RandomBatch(seed: 3, from: 0, count: 5_000);
        store.Write(first);
        var overlapping = RandomBatch(seed: 4, from: 2_500, count: 5_000); // offsets 2,500..4,999 are stored already
        var written = store.Write(overlapping);
        Assert.Equal(overlapping.Events.Count(e => e.Position.Offset >= 5_000) + overlapping.Quarantined.Count(q => q.Position.Offset >= 5_000), written.Total);
        var requests = Rows(store, "requests", 24);
        foreach (var (position, evt) in first.Events.Where(e => e.Position.Offset < 5_000).Concat(overlapping.Events.Where(e => e.Position.Offset >= 5_000)))
        {
            if (evt is RequestEvent r)
            {
                var row = requests[(position.Partition, position.Offset)];
                Assert.Equal<object?>([r.RequestId, r.Endpoint, r.Error, r.HashBucket], [row[8], row[7], row[20], row[10]]);
            }
        }
        Assert.Equal(first.Events.Count(e => e.Event is RequestEvent) + overlapping.Events.Count(e => e.Event is RequestEvent && e.Position.Offset >= 5_000), requests.Count);
        Assert.Equal(new Dictionary<int, long> { [0] = 7_499, [1] = 7_500 }, store.LoadOffsets("topic")); // even offsets in 0, odd in 1
    }

    [Fact]
    public void A_table_whose_columns_do_not_match_fails_before_any_row_and_stores_nothing()
    {
        using var store = DuckDbEventStore.Open(Db);
        store.Write(RandomBatch(seed: 5, from: 0, count: 100));
        var before = Count(store, "SELECT count(*) FROM requests");
        store.Execute("ALTER TABLE requests ADD COLUMN added_later VARCHAR");
        var error = Assert.Throws<InvalidOperationException>(() => store.Write(RandomBatch(seed: 6, from: 100, count: 100)));
        Assert.Contains("requests", error.Message, StringComparison.Ordinal);
        Assert.Contains("sql/migrations", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Count(store, "SELECT count(*) FROM requests"));
        Assert.Equal(new Dictionary<int, long> { [0] = 99, [1] = 100 }, store.LoadOffsets("topic"));
    }

    private static long Micros(DateTimeOffset value)
    {
        var ticks = value.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        return ticks >= 0 ? ticks / 10 : ((ticks + 1) / 10) - 1; // rounded down
    }

    /// <summary>Stores <paramref name="request"/> alone (topic t, partition 0, offset 0) and returns its row.</summary>
    private static object?[] StoreOne(DuckDbEventStore store, RequestEvent request)
    {
        var batch = new IngestBatch();
        batch.Add(new SourcePosition("t", 0, 0), DecodeResult.Accept(request), null, null, Ts);
        store.Write(batch);
        return Rows(store, "requests", 24)[(0, 0)];
    }

    private static long Count(DuckDbEventStore store, string sql) => Convert.ToInt64(store.Scalar(sql), CultureInfo.InvariantCulture);

    /// <summary>Every row of a table by (partition, offset), timestamps as epoch microseconds, NULL as null.</summary>
    private static Dictionary<(int, long), object?[]> Rows(DuckDbEventStore store, string table, int columns)
    {
        var select = new List<string>();
        using (var describe = store.Connection.CreateCommand())
        {
            describe.CommandText = $"SELECT column_name, data_type FROM information_schema.columns WHERE table_name = '{table}' ORDER BY ordinal_position";
            using var columnsReader = describe.ExecuteReader();
            while (columnsReader.Read())
            {
                var name = columnsReader.GetString(0);
                select.Add(columnsReader.GetString(1) == "TIMESTAMP WITH TIME ZONE" ? $"epoch_us({name})" : name);
            }
        }
        using var cmd = store.Connection.CreateCommand();
        cmd.CommandText = $"SELECT {string.Join(", ", select)} FROM {table}";
        using var reader = cmd.ExecuteReader();
        Assert.Equal(columns, reader.FieldCount);
        var rows = new Dictionary<(int, long), object?[]>();
        while (reader.Read())
        {
            var row = new object?[columns];
            for (var i = 0; i < columns; i++)
            {
                row[i] = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
                {
                    Stream s => ReadAll(s),
                    var v => v,
                };
            }
            rows.Add((reader.GetInt32(1), reader.GetInt64(2)), row);
        }
        return rows;
    }

    private static byte[] ReadAll(Stream stream)
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
