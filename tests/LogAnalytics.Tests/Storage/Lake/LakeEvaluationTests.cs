using DuckDB.NET.Data;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Storage.Lake;

/// <summary>The evaluator of a shared lake (<c>loganalytics evaluate</c>) against the single-process worker: three
/// workers each store the partitions they own in their own file and flush them to one lake; the evaluator's verdicts
/// from the lake equal those of one worker that stored every partition.</summary>
public sealed class LakeEvaluationTests : IDisposable
{
    private const string Topic = "router-logs";
    private const int Partitions = 6;
    private static readonly DateTimeOffset Start = new(2026, 11, 2, 9, 20, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-lake-eval-").FullName;

    private string Lake => Path.Combine(_dir, "shared.lake");

    /// <summary>Two experiments (healthy, and a latency regression), messages spread round-robin over 6 partitions.</summary>
    private static List<(SourcePosition Position, byte[] Value)> Messages()
    {
        var result = new List<(SourcePosition, byte[])>();
        var offsets = new long[Partitions];
        var routers = new[]
        {
            new SyntheticRouter(new SyntheticRouterOptions { Seed = 7, Start = Start, EventsPerSecond = 20, Scenario = TrafficScenario.Healthy with { WeightPercent = 25 } }),
            new SyntheticRouter(new SyntheticRouterOptions { Seed = 8, Start = Start, EventsPerSecond = 20, Scenario = TrafficScenario.LatencyRegression with { WeightPercent = 25, Experiment = "latency_exp" } }),
        };
        var i = 0;
        foreach (var router in routers)
        {
            foreach (var message in router.Take(30_000))
            {
                var partition = i++ % Partitions;
                result.Add((new SourcePosition(Topic, partition, offsets[partition]++), message.Value));
            }
        }
        return result;
    }

    private static void Store(DuckDbEventStore store, IEnumerable<(SourcePosition Position, byte[] Value)> messages)
    {
        var decoder = new EventDecoder(new FixedClock(Start.AddDays(30)));
        foreach (var chunk in messages.Chunk(20_000))
        {
            var batch = new IngestBatch();
            foreach (var (position, value) in chunk)
            {
                batch.Add(position, decoder.Decode(value), null, value, Start);
            }
            store.Write(batch);
        }
    }

    [Fact]
    public void The_evaluators_verdicts_from_a_lake_written_by_three_workers_equal_the_single_process_verdicts()
    {
        var messages = Messages();
        // Three ingest workers: partitions 0-1, 2-3 and 4-5, each its own file, one shared lake.
        for (var w = 0; w < 3; w++)
        {
            using var store = DuckDbEventStore.Open(Path.Combine(_dir, $"worker{w}.duckdb"));
            Store(store, messages.Where(m => m.Position.Partition / 2 == w));
            using var connection = new DuckDBConnection($"Data Source={store.DatabasePath}");
            connection.Open();
            var writer = new LakeWriter(connection, Lake, TimeSpan.FromMinutes(1));
            writer.Recover();
            writer.Flush(DateTimeOffset.UtcNow);
        }
        using var single = DuckDbEventStore.Open(Path.Combine(_dir, "single.duckdb"));
        Store(single, messages);
        Assert.True(LakeVerdictDatabase.IsReady(Lake));
        using var lake = LakeVerdictDatabase.Open(Path.Combine(_dir, "evaluator.duckdb"), Lake);

        var options = new ExperimentsOptions();
        var singleService = new VerdictService(single.Connection, options, ExperimentEvaluator.CreateDefault());
        var lakeService = new VerdictService(lake, options, ExperimentEvaluator.CreateDefault());
        var end = Start.AddSeconds(3_000);
        Assert.Equal(singleService.Experiments(end), lakeService.Experiments(end));
        Assert.Equal(2, lakeService.Experiments(end).Count);
        var decisions = new HashSet<string>();
        // Several looks, each recorded, so the policy's memory (previous decision, verdicts table) is compared too.
        foreach (var asOf in new[] { Start.AddSeconds(300), Start.AddSeconds(1_200), end })
        {
            foreach (var id in singleService.Experiments(asOf))
            {
                var expected = VerdictContract.AssertValid(singleService.Evaluate(id, asOf));
                var actual = VerdictContract.AssertValid(lakeService.Evaluate(id, asOf));
                singleService.Record(expected);
                lakeService.Record(actual);
                decisions.Add(actual.Decision);
                Assert.Equal(expected.Decision, actual.Decision);
                Assert.Equal(expected.CurrentStage, actual.CurrentStage);
                Assert.Equal(expected.Samples, actual.Samples);
                Assert.Equal(expected.Reasons, actual.Reasons);
                Assert.Equal(expected.Srm.Ok, actual.Srm.Ok);
                AssertClose(expected.Srm.PValue, actual.Srm.PValue, $"{id} srm");
                Assert.Equal(expected.Checks.Select(c => (c.Metric, c.Outcome)), actual.Checks.Select(c => (c.Metric, c.Outcome)));
                foreach (var (e, a) in expected.Checks.Zip(actual.Checks))
                {
                    var what = $"{id} {e.Metric} at {asOf:O}";
                    AssertClose(e.Baseline, a.Baseline, what);
                    AssertClose(e.Canary, a.Canary, what);
                    AssertClose(e.CiLow, a.CiLow, what);
                    AssertClose(e.CiHigh, a.CiHigh, what);
                    AssertClose(e.PValue, a.PValue, what);
                    AssertClose(e.SequentialPValue, a.SequentialPValue, what);
                }
            }
        }
        // The comparison covered a decided experiment, not only "wait" on both sides.
        Assert.Contains(Decisions.NoGo, decisions);
        Assert.Equal(6, Count(lake, "SELECT count(*) FROM verdicts"));
    }

    [Fact]
    public void A_zombie_workers_late_flush_of_positions_already_in_the_lake_is_refused_and_readers_see_each_position_once()
    {
        var messages = Messages().Where(m => m.Position.Partition == 0).Take(3_000).ToList();
        // Both writers started while the lake was empty. The owner of partition 0 stores and flushes it; a worker that
        // lost the partition but still runs (paused past the session timeout, then resumed) stored part of the same
        // positions in its own file and flushes them later.
        using var pair = new OwnerAndZombie(_dir, Lake);
        var (owner, zombie, ownerWriter, zombieWriter) = (pair.Owner, pair.Zombie, pair.OwnerWriter, pair.ZombieWriter);
        Store(owner, messages);
        ownerWriter.Flush(Start.AddMinutes(10)); // before the hour is sealed: no compaction, the files stay as written
        Store(zombie, messages.Skip(1_000).Take(1_500));
        var before = RequestFiles();

        // Refused: the lake's durable offset (3,000) is past every position the zombie holds, so it writes no file.
        Assert.Equal(0, zombieWriter.Flush(Start.AddMinutes(11)).Rows);
        Assert.Equal(before, RequestFiles());

        // A worker restarting in the shared lake (its recovery) leaves the files in place.
        new LakeWriter(OpenConnection(":memory:"), Lake, TimeSpan.FromMinutes(1)) { Shared = true }.Recover();
        using var reader = LakeWriterTests.LakeReader(Lake);
        var stored = Count(owner.Connection, "SELECT count(*) FROM requests");
        Assert.Equal(stored, Count(reader, "SELECT count(*) FROM requests"));
        Assert.Equal(0, Count(reader, "SELECT count(*) FROM (SELECT source_partition, source_offset FROM requests GROUP BY ALL HAVING count(*) > 1)"));
        Assert.Equal(0, Count(reader, "SELECT count(*) FROM (SELECT request_id FROM requests GROUP BY ALL HAVING count(*) > 1)"));
        const string Digest = "SELECT md5(string_agg(source_offset::VARCHAR || ':' || request_id, ',' ORDER BY source_offset)) FROM requests";
        Assert.Equal(Text(owner.Connection, Digest), Text(reader, Digest));
    }

    [Fact]
    public void A_zombie_flushing_before_the_new_owner_makes_its_positions_durable_and_the_owner_writes_only_the_rest()
    {
        var messages = Messages().Where(m => m.Position.Partition == 0).Take(3_000).ToList();
        using var pair = new OwnerAndZombie(_dir, Lake);
        var (owner, zombie, ownerWriter, zombieWriter) = (pair.Owner, pair.Zombie, pair.OwnerWriter, pair.ZombieWriter);
        // The zombie stored 0-2,499 and flushed 0-999 before it was paused; the new owner resumed from the lake's 1,000.
        Store(zombie, messages.Take(1_000));
        zombieWriter.Flush(Start.AddMinutes(10));
        Store(zombie, messages.Skip(1_000).Take(1_500));
        Store(owner, messages.Skip(1_000));
        // The zombie wakes up and flushes first; the owner's flush then starts at the lake's durable offset.
        zombieWriter.Flush(Start.AddMinutes(11));
        ownerWriter.Flush(Start.AddMinutes(12));

        Assert.Equal(
            ["router-logs+0+0000000000000000000-0000000000000000999.parquet", "router-logs+0+0000000000000001000-0000000000000002499.parquet",
             "router-logs+0+0000000000000002500-0000000000000002999.parquet"],
            RequestFiles());
        using var reader = LakeWriterTests.LakeReader(Lake);
        using var single = DuckDbEventStore.Open(Path.Combine(_dir, "single.duckdb"));
        Store(single, messages);
        const string Digest = "SELECT md5(string_agg(source_offset::VARCHAR || ':' || request_id, ',' ORDER BY source_offset)) FROM requests";
        Assert.Equal(Text(single.Connection, Digest), Text(reader, Digest));
        Assert.Equal(Count(single.Connection, "SELECT count(*) FROM validations"), Count(reader, "SELECT count(*) FROM validations"));
        Assert.Equal(Count(reader, "SELECT count(*) FROM requests"),
            Count(reader, $"SELECT count(*) FROM read_parquet('{Lake}/requests/**/router-logs+0+*.parquet')")); // no second copy at all
    }

    private List<string> RequestFiles() =>
        Directory.EnumerateFiles(Path.Combine(Lake, "requests"), "router-logs+0+*.parquet", SearchOption.AllDirectories)
            .Select(p => Path.GetFileName(p)!).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Two workers of one shared lake, each with its own file and lake writer (recovered): the partition's
    /// owner and a zombie that lost it but still runs.</summary>
    private sealed class OwnerAndZombie : IDisposable
    {
        private readonly DuckDBConnection _ownerConnection;
        private readonly DuckDBConnection _zombieConnection;

        public OwnerAndZombie(string dir, string lake)
        {
            Owner = DuckDbEventStore.Open(Path.Combine(dir, "owner.duckdb"));
            Zombie = DuckDbEventStore.Open(Path.Combine(dir, "zombie.duckdb"));
            _ownerConnection = OpenConnection(Owner.DatabasePath);
            _zombieConnection = OpenConnection(Zombie.DatabasePath);
            OwnerWriter = new LakeWriter(_ownerConnection, lake, TimeSpan.FromMinutes(1)) { Shared = true };
            ZombieWriter = new LakeWriter(_zombieConnection, lake, TimeSpan.FromMinutes(1)) { Shared = true };
            OwnerWriter.Recover();
            ZombieWriter.Recover();
        }

        public DuckDbEventStore Owner { get; }
        public DuckDbEventStore Zombie { get; }
        public LakeWriter OwnerWriter { get; }
        public LakeWriter ZombieWriter { get; }

        public void Dispose()
        {
            _zombieConnection.Dispose();
            _ownerConnection.Dispose();
            Zombie.Dispose();
            Owner.Dispose();
        }
    }

    private static DuckDBConnection OpenConnection(string path)
    {
        var connection = new DuckDBConnection($"Data Source={path}");
        connection.Open();
        return connection;
    }

    private static long Count(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static string Text(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture)!;
    }

    private static void AssertClose(double? expected, double? actual, string what)
    {
        Assert.True(expected.HasValue == actual.HasValue, $"{what}: {expected} vs {actual}");
        if (expected is { } e && actual is { } a)
        {
            Assert.True(Math.Abs(e - a) <= 1e-9 * Math.Max(1, Math.Abs(e)), $"{what}: {e} vs {a}");
        }
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

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
