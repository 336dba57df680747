using System.Diagnostics;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// A long run at production shape: seed-shaped router traffic at 2.4 M events a day of event time (27.8 events/s, so
/// 20 M events are 8.3 days; <c>--events-per-day</c> compresses time for a shorter run), decoded and stored in batches of 5,000 like the worker, while a second thread with its
/// own connection refreshes the lake, compacts sealed hours and applies retention (default 1 day) the way
/// <see cref="LakeService"/> does, with the clock at the newest stored event. Every <c>--report</c> events (default
/// 1 M) it prints one line: events/s, p99 and max batch commit time, the last lake refresh (rows, time), rows in
/// DuckDB, DuckDB file size, lake size and the process's RSS. No stage is announced, so no open experiment window
/// holds data back (see RetentionTests for that case). The store and the lake's connection are opened by
/// <see cref="EventStoreProvider"/> from <see cref="StorageOptions"/> like the worker's, so DuckDB runs with the worker's
/// <c>Storage:DatabaseMemoryLimitMiB</c> (<c>--memory-limit-mib</c> overrides it; 0 is DuckDB's own default) and
/// <c>Storage:CheckpointThresholdMiB</c> (<c>--checkpoint-threshold-mib</c>; 0 is DuckDB's own 16 MiB).
/// </summary>
internal static class SoakBenchmark
{
    private const int BatchEvents = 5_000;
    private static readonly string[] Partitions = ["router-logs"];

    public static int Run(BenchmarkArguments args, long events, int retentionDays, long refreshEvery, long reportEvery, double eventsPerDay, int? memoryLimitMiB, bool traceMemory, int? checkpointThresholdMiB)
    {
        var dir = args.CreateWorkDirectory("loganalytics-soak-bench");
        var db = Path.Combine(dir, "soak.duckdb");
        var lakeRoot = Path.Combine(dir, "soak.lake");
        try
        {
            // The worker's own code path and defaults: the same options class, the same provider, the same second connection.
            var storage = new StorageOptions { DatabasePath = db, RetentionDays = retentionDays };
            storage.DatabaseMemoryLimitMiB = memoryLimitMiB ?? storage.DatabaseMemoryLimitMiB;
            storage.CheckpointThresholdMiB = checkpointThresholdMiB ?? storage.CheckpointThresholdMiB;
            using var provider = new EventStoreProvider(Options.Create(storage));
            var store = provider.Store;
            using var lakeConnection = provider.OpenConnection();
            Console.WriteLine($"soak benchmark: {events:N0} events at {eventsPerDay:N0}/day of event time ({events / eventsPerDay:F1} days), retention {retentionDays} d (0 = off), lake refresh every {refreshEvery:N0} events, DuckDB memory limit {Text(store.Connection, "SELECT current_setting('memory_limit')")} (Storage:DatabaseMemoryLimitMiB {storage.DatabaseMemoryLimitMiB}), checkpoint threshold {Text(store.Connection, "SELECT current_setting('checkpoint_threshold')")} (Storage:CheckpointThresholdMiB {storage.CheckpointThresholdMiB}), {Environment.ProcessorCount} cores, files in {dir}");
            Console.WriteLine("  events  | events/s | commit p99 ms | commit max ms | refresh rows | refresh ms | rows in DuckDB | DuckDB MiB | lake MiB | DuckDB mem MiB |  RSS MiB | peak RSS MiB");
            var lake = new LakeWriter(lakeConnection, lakeRoot, TimeSpan.FromMinutes(1));
            lake.Recover();
            var retention = retentionDays > 0 ? new Retention(lakeConnection, TimeSpan.FromDays(retentionDays), NullLogger.Instance) : null;
            var clockTicks = 0L;
            using var due = new SemaphoreSlim(0);
            var done = false;
            var lastRefresh = default(LakeFlushResult);
            var refreshes = new List<(long Stored, LakeFlushResult Result)>();
            var stored = 0L;
            // Odd while the refresher is flushing, compacting or applying retention: a commit that saw it odd, or saw it
            // change, overlapped a refresh. Comparing those commits with the others in the same run tells a pause caused
            // by the refresh from the machine's own stalls.
            var refreshGeneration = 0L;
            var overlapped = new List<double>();
            var alone = new List<double>();
            var peakAtMillion = 0L;
            // --trace-memory: a third connection (same instance) reads DuckDB's accounting whenever the RSS peaks.
            using var traceConnection = traceMemory ? provider.OpenConnection() : null;
            using var trace = traceConnection is null ? null : new MemoryTrace(traceConnection, () => Interlocked.Read(ref stored));
            var refresher = Task.Run(() =>
            {
                while (true)
                {
                    due.Wait();
                    var finished = Volatile.Read(ref done);
                    var now = new DateTimeOffset(Interlocked.Read(ref clockTicks), TimeSpan.Zero);
                    Interlocked.Increment(ref refreshGeneration);
                    Trace(trace, refresh: "flush");
                    var result = lake.Flush(now);
                    Trace(trace, refresh: "compact");
                    lake.CompactSealedHours(now);
                    Trace(trace, refresh: "retention");
                    retention?.Run(now, lake.DurableOffsets);
                    Trace(trace, refresh: "idle");
                    Interlocked.Increment(ref refreshGeneration);
                    lock (refreshes)
                    {
                        lastRefresh = result;
                        refreshes.Add((Interlocked.Read(ref stored), result));
                    }
                    if (finished)
                    {
                        return;
                    }
                }
            });

            var router = new SyntheticRouter(new SyntheticRouterOptions
            {
                Scenario = TrafficScenario.Healthy,
                Seed = 42,
                Start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
                EventsPerSecond = eventsPerDay / 86_400.0,
                AnnounceStage = false,
            });
            var decoder = new EventDecoder();
            var offsets = new long[Partitions.Length * 3];
            var commits = new List<double>();
            var window = Stopwatch.StartNew();
            var nextRefresh = refreshEvery;
            var nextReport = reportEvery;
            var batch = new IngestBatch();
            foreach (var message in router.Take(events))
            {
                var partition = (int)(message.Sequence % 3);
                batch.Add(new SourcePosition(Partitions[0], partition, offsets[partition]++), decoder.Decode(message.Value), message.Key, message.Value, message.Timestamp);
                Interlocked.Exchange(ref clockTicks, message.Timestamp.UtcTicks);
                if (batch.Count < BatchEvents && message.Sequence + 1 < events)
                {
                    continue;
                }
                var generation = Interlocked.Read(ref refreshGeneration);
                var commit = Stopwatch.StartNew();
                Trace(trace, ingest: "write");
                store.Write(batch);
                Trace(trace, ingest: "decode");
                var commitMs = commit.Elapsed.TotalMilliseconds;
                commits.Add(commitMs);
                (generation % 2 == 1 || Interlocked.Read(ref refreshGeneration) != generation ? overlapped : alone).Add(commitMs);
                var total = Interlocked.Add(ref stored, batch.Count);
                batch = new IngestBatch();
                if (total >= nextRefresh)
                {
                    nextRefresh += refreshEvery;
                    due.Release();
                }
                if (total >= nextReport || total >= events)
                {
                    var elapsed = window.Elapsed;
                    commits.Sort();
                    LakeFlushResult refresh;
                    lock (refreshes)
                    {
                        refresh = lastRefresh;
                    }
                    var rows = Count(store.Connection, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM validations) + (SELECT count(*) FROM quarantine)");
                    Console.WriteLine($"{total,9:N0} | {(total - (nextReport - reportEvery)) / elapsed.TotalSeconds,8:N0} | {Percentile(commits, 0.99),13:F1} | {commits[^1],13:F1} | {refresh.Rows,12:N0} | {refresh.Elapsed.TotalMilliseconds,10:F0} | {rows,14:N0} | {Format.MiB(FileSize(db) + FileSize(db + ".wal")),10} | {Format.MiB(FolderSize(lakeRoot)),8} | {Format.MiB(Count(store.Connection, "SELECT coalesce(sum(memory_usage_bytes), 0)::BIGINT FROM duckdb_memory()")),14} | {Format.MiB(Environment.WorkingSet),8} | {Format.MiB(Measure.PeakRssBytes()),12}");
                    commits.Clear();
                    if (peakAtMillion == 0 && total >= Math.Min(1_000_000, events))
                    {
                        peakAtMillion = Measure.PeakRssBytes();
                    }
                    nextReport += reportEvery;
                    window.Restart();
                }
            }
            Volatile.Write(ref done, true);
            due.Release();
            refresher.Wait();
            trace?.Dispose(); // the check below reads the whole lake: not the worker's memory

            List<(long Stored, LakeFlushResult Result)> all;
            lock (refreshes)
            {
                all = refreshes.Where(r => r.Result.Rows > 0).ToList();
            }
            // Refresh cost against history: the refreshes around the first million stored rows against the last ones.
            var early = all.Where(r => r.Stored <= Math.Min(1_000_000, events / 2)).Select(r => r.Result).ToList();
            var late = all.Skip(all.Count * 3 / 4).Select(r => r.Result).ToList();
            if (early.Count > 0 && late.Count > 0)
            {
                double PerThousand(List<LakeFlushResult> rs) => rs.Sum(r => r.Elapsed.TotalMilliseconds) / rs.Sum(r => r.Rows) * 1000;
                Console.WriteLine($"lake refresh: {PerThousand(early):F2} ms per 1,000 rows up to {Math.Min(1_000_000, events / 2):N0} stored vs {PerThousand(late):F2} ms in the last quarter ({late.Count} refreshes of {late.Average(r => r.Rows):N0} rows, ~{all[^1].Stored:N0} stored): ratio {PerThousand(late) / PerThousand(early):F2}x");
            }
            // Peak RSS before the final check below (whose reader de-duplicates the whole lake and is not the worker).
            var peak = Measure.PeakRssBytes();
            Console.WriteLine($"peak RSS (VmHWM) {Format.MiB(peakAtMillion)} MiB after {Math.Min(1_000_000, events):N0} events, {Format.MiB(peak)} MiB after {events:N0}: ratio {(double)peak / Math.Max(1, peakAtMillion):F2}x");
            overlapped.Sort();
            alone.Sort();
            string Describe(List<double> c) => c.Count == 0 ? "none" : $"{c.Count:N0} commits, p50 {Percentile(c, 0.5):F0} / p99 {Percentile(c, 0.99):F0} / max {c[^1]:F0} ms";
            Console.WriteLine($"commits during a lake refresh: {Describe(overlapped)}; without one: {Describe(alone)}");
            using var check = LakeReader(lakeRoot);
            var lakeRows = Count(check, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM validations) + (SELECT count(*) FROM quarantine) + (SELECT count(*) FROM stages)");
            Console.WriteLine($"lake holds {lakeRows:N0} rows of {events:N0} events ({(lakeRows == events ? "every event once" : "MISMATCH")})");
            return lakeRows == events ? 0 : 1;
        }
        finally
        {
            if (!args.Keep)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static DuckDBConnection LakeReader(string lakeRoot)
    {
        var reader = new DuckDBConnection("Data Source=:memory:");
        reader.Open();
        using var cmd = reader.CreateCommand();
        cmd.CommandText = $"SET VARIABLE lake = '{lakeRoot}';\n" + SqlScripts.Load("lake/views.sql");
        cmd.ExecuteNonQuery();
        return reader;
    }

    private static void Trace(MemoryTrace? trace, string? ingest = null, string? refresh = null)
    {
        if (trace is not null)
        {
            trace.Ingest = ingest ?? trace.Ingest;
            trace.Refresh = refresh ?? trace.Refresh;
        }
    }

    private static string Text(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    private static long Count(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        return Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];

    private static long FileSize(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    private static long FolderSize(string path) => Directory.Exists(path)
        ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
        : 0;
}

/// <summary>The soak benchmark's own options, taken out of the command line before the shared parser sees it.</summary>
internal sealed record SoakArguments(long? Events, int RetentionDays, long RefreshEvery, long ReportEvery, double EventsPerDay, int? MemoryLimitMiB, bool TraceMemory, int? CheckpointThresholdMiB = null)
{
    public static SoakArguments Extract(ref string[] args)
    {
        if (args.Length == 0 || args[0] != "soak")
        {
            return new SoakArguments(null, 1, 200_000, 1_000_000, 2_400_000, null, false);
        }
        var input = args;
        var rest = new List<string>();
        long? events = null;
        int retention = 1;
        long refresh = 200_000, report = 1_000_000, perDay = 2_400_000;
        int? memoryLimit = null;
        int? checkpointThreshold = null;
        var traceMemory = false;
        for (var i = 0; i < input.Length; i++)
        {
            long Value() => i + 1 < input.Length
                ? long.Parse(input[++i], System.Globalization.NumberStyles.AllowThousands, System.Globalization.CultureInfo.InvariantCulture)
                : throw new ArgumentException($"{input[i]} needs a value");
            switch (input[i])
            {
                case "--events":
                    events = Value();
                    rest.Add("--events");
                    rest.Add(events.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));
                    break;
                case "--retention-days":
                    retention = (int)Value();
                    break;
                case "--refresh-every":
                    refresh = Value();
                    break;
                case "--report":
                    report = Value();
                    break;
                case "--events-per-day":
                    perDay = Value();
                    break;
                case "--memory-limit-mib":
                    memoryLimit = (int)Value();
                    break;
                case "--checkpoint-threshold-mib":
                    checkpointThreshold = (int)Value();
                    break;
                case "--trace-memory":
                    traceMemory = true;
                    break;
                default:
                    rest.Add(input[i]);
                    break;
            }
        }
        if (refresh < 1 || report < 1 || retention < 0 || perDay < 1 || memoryLimit < 0 || checkpointThreshold < 0)
        {
            throw new ArgumentException("--refresh-every, --report and --events-per-day must be >= 1, --retention-days, --memory-limit-mib and --checkpoint-threshold-mib >= 0");
        }
        args = rest.ToArray();
        return new SoakArguments(events, retention, refresh, report, perDay, memoryLimit, traceMemory, checkpointThreshold);
    }
}
