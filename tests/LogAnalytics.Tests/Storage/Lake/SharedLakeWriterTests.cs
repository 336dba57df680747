using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;

namespace LogAnalytics.Tests.Storage.Lake;

/// <summary>
/// Several workers writing one lake (<c>Storage:LakeShared</c>) through hand-overs, without Kafka: each worker is a
/// DuckDB file of its own and a <see cref="LakeWriter"/>; a partition moves to a worker that resumes where the
/// ingestion pipeline would (the later of its own stored offset and the lake's durable one). Afterwards the lake, read
/// through sql/lake/views.sql, holds every source position of the log.
/// </summary>
public sealed class SharedLakeWriterTests : IDisposable
{
    private const string Topic = "router-logs";
    private static readonly TimeSpan SealAfter = TimeSpan.FromMinutes(1);
    private readonly string _dir = Directory.CreateTempSubdirectory("la-shared-lake-").FullName;
    private readonly List<Worker> _workers = [];

    private string LakeRoot => Path.Combine(_dir, "lake");

    private Worker NewWorker(string name)
    {
        var worker = new Worker(Path.Combine(_dir, name + ".duckdb"), LakeRoot);
        _workers.Add(worker);
        return worker;
    }

    /// <summary>The hand-over of the 3-worker integration test, reduced to two writers: the new owner's writer
    /// started before the old owner's first flush, so its idea of the partition's durable offset was stale. Its first
    /// file must not be named as if it held the old owner's rows: compaction trusts file names, and would delete the old
    /// owner's file as "covered".</summary>
    [Fact]
    public void A_new_owners_file_never_claims_the_previous_owners_rows_so_compaction_keeps_them()
    {
        var a = NewWorker("a");
        var b = NewWorker("b");
        var now = LakeWriterTests.Hour10.AddHours(2);

        a.Store(0, 0, 300);
        a.Writer.Flush(now);
        var resume = b.ResumeFrom(0, LakeRoot);
        Assert.Equal(300, resume);
        b.Store(0, resume, 300);
        b.Writer.Flush(now);
        var names = FileNames("requests").Select(f => f.Name).ToList();

        // The hour is sealed: either writer compacts it.
        b.Writer.CompactSealedHours(now.AddMinutes(5));
        a.Writer.CompactSealedHours(now.AddMinutes(5));

        AssertLakeHoldsEveryPosition(new Dictionary<int, long> { [0] = 600 });
        Assert.Equal([new LakeFileName(Topic, 0, 0, 299), new LakeFileName(Topic, 0, 300, 599)], names.OrderBy(n => n.From));
        Assert.Equal([new LakeFileName(Topic, 0, 0, 599)], FileNames("requests").Select(f => f.Name));
    }

    /// <summary>The one way a zombie's copy still lands: it read the lake's durable offset just before the new owner's
    /// marker was renamed into place. Its file is then honest (it holds every row of its range) and lies beside the
    /// owner's; readers see each position once, before and after compaction.</summary>
    [Fact]
    public void A_zombie_that_read_the_durable_offset_before_the_owners_marker_adds_a_copy_readers_see_once()
    {
        var zombie = NewWorker("zombie");
        var owner = NewWorker("owner");
        var now = LakeWriterTests.Hour10.AddHours(2);
        zombie.Store(0, 0, 1_000);
        zombie.Writer.Flush(now);
        zombie.Store(0, 1_000, 1_500); // stored, not yet flushed, when it was paused
        var resume = owner.ResumeFrom(0, LakeRoot);
        Assert.Equal(1_000, resume);
        owner.Store(0, resume, 2_000);
        owner.Writer.Flush(now);
        // The zombie lists _offsets before the owner's marker is there: hide it for the zombie's flush.
        var markers = Path.Combine(LakeRoot, LakeWriter.OffsetsFolder);
        var ownersMarker = Directory.GetFiles(markers).Single(m => m.EndsWith("+0+0000000000000001000-0000000000000002999", StringComparison.Ordinal));
        var aside = Path.Combine(_dir, "aside");
        File.Move(ownersMarker, aside);
        zombie.Writer.Flush(now);
        File.Move(aside, ownersMarker);

        Assert.Equal(
            [new LakeFileName(Topic, 0, 0, 999), new LakeFileName(Topic, 0, 1_000, 2_499), new LakeFileName(Topic, 0, 1_000, 2_999)],
            FileNames("requests").Select(f => f.Name).OrderBy(n => n.From).ThenBy(n => n.To));
        Assert.Equal(3_000, LakeWriter.ReadDurableOffsets(LakeRoot)[(Topic, 0)]);
        using (var reader = LakeWriterTests.LakeReader(LakeRoot))
        using (var cmd = reader.CreateCommand())
        {
            cmd.CommandText = $"SELECT count(*) FROM read_parquet('{LakeRoot}/requests/**/*.parquet') WHERE source_partition = 0";
            var raw = Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
            cmd.CommandText = "SELECT count(*) FROM requests WHERE source_partition = 0";
            Assert.True(raw > Convert.ToInt64(cmd.ExecuteScalar(), CultureInfo.InvariantCulture), "the files hold a second copy of the zombie's range");
        }
        AssertLakeHoldsEveryPosition(new Dictionary<int, long> { [0] = 3_000 });

        owner.Writer.CompactSealedHours(now.AddMinutes(5));
        Assert.Equal([new LakeFileName(Topic, 0, 0, 2_999)], FileNames("requests").Select(f => f.Name));
        AssertLakeHoldsEveryPosition(new Dictionary<int, long> { [0] = 3_000 });
    }

    /// <summary>One writer at a time compacts a shared lake: while another holds <c>_compaction.lock</c> a writer leaves
    /// the sealed hour alone and compacts it at a later refresh.</summary>
    [Fact]
    public void A_writer_compacts_a_shared_lake_only_while_it_holds_the_compaction_lock()
    {
        var a = NewWorker("a");
        var now = LakeWriterTests.Hour10.AddHours(2);
        for (var i = 0; i < 3; i++)
        {
            a.Store(0, i * 100, 100);
            a.Writer.Flush(now);
        }
        Assert.Equal(3, FileNames("requests").Count);

        using (new FileStream(Path.Combine(LakeRoot, LakeWriter.CompactionLockFile), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            Assert.Equal(0, a.Writer.CompactSealedHours(now.AddMinutes(5)));
            Assert.Equal(3, FileNames("requests").Count);
        }

        Assert.True(a.Writer.CompactSealedHours(now.AddMinutes(6)) >= 3);
        Assert.Equal([new LakeFileName(Topic, 0, 0, 299)], FileNames("requests").Select(f => f.Name));
        AssertLakeHoldsEveryPosition(new Dictionary<int, long> { [0] = 300 });
    }

    /// <summary>Random hand-overs between three writers (a zombie that flushes late, a kill and restart of a writer,
    /// flushes and compactions in any order): the lake never loses a position of the log.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Random_hand_overs_flushes_and_compactions_never_lose_a_position(int seed)
    {
        var random = new Random(seed);
        var workers = new[] { NewWorker("w0"), NewWorker("w1"), NewWorker("w2") };
        var owner = new Dictionary<int, Worker> { [0] = workers[0], [1] = workers[1] };
        var position = new Dictionary<int, long> { [0] = 0, [1] = 0 };
        var logEnd = new Dictionary<int, long> { [0] = 0, [1] = 0 };
        var now = LakeWriterTests.Hour10.AddHours(2);
        var trace = new List<string>();
        try
        {
            for (var step = 0; step < 40; step++)
            {
                now = now.AddSeconds(20);
                var partition = random.Next(2);
                switch (random.Next(6))
                {
                    case 0 or 1:
                        // The owner consumes the next messages of the log (re-reading what another owner stored).
                        var count = random.Next(20, 120);
                        owner[partition].Store(partition, position[partition], count);
                        position[partition] += count;
                        logEnd[partition] = Math.Max(logEnd[partition], position[partition]);
                        trace.Add($"{owner[partition].Name} stores p{partition} to {position[partition]}");
                        break;
                    case 2:
                        var next = workers[random.Next(workers.Length)];
                        owner[partition] = next;
                        position[partition] = next.ResumeFrom(partition, LakeRoot);
                        trace.Add($"p{partition} -> {next.Name} from {position[partition]}");
                        break;
                    case 3:
                        var flushing = workers[random.Next(workers.Length)];
                        flushing.Writer.Flush(now);
                        trace.Add($"{flushing.Name} flushes");
                        break;
                    case 4:
                        var compacting = workers[random.Next(workers.Length)];
                        compacting.Writer.CompactSealedHours(now);
                        trace.Add($"{compacting.Name} compacts");
                        break;
                    case 5:
                        var restarted = workers[random.Next(workers.Length)];
                        restarted.Restart();
                        trace.Add($"{restarted.Name} restarts");
                        break;
                }
            }
            // The current owners read the log to its end and flush; the others may never flush again (removed).
            foreach (var partition in owner.Keys)
            {
                owner[partition].Store(partition, position[partition], (int)(logEnd[partition] - position[partition]));
                owner[partition].Writer.Flush(now);
            }
            foreach (var worker in owner.Values.Distinct())
            {
                worker.Writer.CompactSealedHours(now.AddMinutes(10));
            }
            AssertLakeHoldsEveryPosition(logEnd);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw new Xunit.Sdk.XunitException($"seed {seed}: {ex.Message}\nsteps: {string.Join("; ", trace)}\nfiles: {string.Join(", ", FileNames("requests").Select(f => f.Name.ToString()))}");
        }
    }

    private void AssertLakeHoldsEveryPosition(IReadOnlyDictionary<int, long> logEnd)
    {
        using var reader = LakeWriterTests.LakeReader(LakeRoot);
        using var cmd = reader.CreateCommand();
        cmd.CommandText = """
            SELECT source_partition, source_offset FROM requests UNION ALL SELECT source_partition, source_offset FROM validations
            UNION ALL SELECT source_partition, source_offset FROM stages UNION ALL SELECT source_partition, source_offset FROM quarantine
            """;
        var seen = new List<(int, long)>();
        using (var rows = cmd.ExecuteReader())
        {
            while (rows.Read())
            {
                seen.Add((rows.GetInt32(0), rows.GetInt64(1)));
            }
        }
        foreach (var (partition, end) in logEnd)
        {
            var positions = seen.Where(s => s.Item1 == partition).Select(s => s.Item2).Order().ToList();
            var missing = Enumerable.Range(0, (int)end).Select(o => (long)o).Except(positions).ToList();
            Assert.True(missing.Count == 0, $"partition {partition}: {missing.Count} of {end} positions missing from the lake, first {string.Join(",", missing.Take(10))}");
            Assert.Equal(end, positions.Count); // and none twice through the views
        }
    }

    private List<(string Path, LakeFileName Name)> FileNames(string table) =>
        Directory.EnumerateFiles(Path.Combine(LakeRoot, table), "*.parquet", SearchOption.AllDirectories)
            .Select(p => (Path: p, Ok: LakeFileName.TryParse(Path.GetFileName(p), out var n), Name: n))
            .Where(f => f.Ok).Select(f => (f.Path, f.Name)).ToList();

    public void Dispose()
    {
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One worker: its own database file and a shared-lake writer on it.</summary>
    private sealed class Worker : IDisposable
    {
        private readonly DuckDbEventStore _store;
        private readonly DuckDBConnection _connection;
        private readonly string _lake;

        public Worker(string databasePath, string lake)
        {
            _lake = lake;
            _store = DuckDbEventStore.Open(databasePath);
            _connection = new DuckDBConnection($"Data Source={_store.DatabasePath}");
            _connection.Open();
            Name = Path.GetFileNameWithoutExtension(databasePath);
            Writer = NewWriter();
        }

        public string Name { get; }

        public LakeWriter Writer { get; private set; }

        /// <summary>A kill -9 and restart: the writer's memory is gone, the database and the lake stay.</summary>
        public void Restart() => Writer = NewWriter();

        private LakeWriter NewWriter()
        {
            var writer = new LakeWriter(_connection, _lake, SealAfter, LakeWriter.WriterIdFor(_store.DatabasePath)) { Shared = true };
            writer.Recover();
            return writer;
        }

        /// <summary>Stores positions <paramref name="from"/>.. of a partition (one row each, the same row whoever
        /// stores it), with the offsets, as a batch of the ingestion pipeline does.</summary>
        public void Store(int partition, long from, int count)
        {
            if (count > 0)
            {
                _store.Write(LakeWriterTests.Batch(Topic, partition, from, count, o => LakeWriterTests.Hour10.AddSeconds(o % 3_000)));
            }
        }

        /// <summary>Where the ingestion pipeline resumes a newly assigned partition.</summary>
        public long ResumeFrom(int partition, string lake)
        {
            var own = _store.LoadOffsets(Topic).TryGetValue(partition, out var stored) ? stored : (long?)null;
            var durable = LakeWriter.ReadDurableOffsets(lake).TryGetValue((Topic, partition), out var d) ? d : (long?)null;
            return IngestionPipeline.ResumeOffset(own, durable) ?? 0;
        }

        public void Dispose()
        {
            _connection.Dispose();
            _store.Dispose();
        }
    }
}
