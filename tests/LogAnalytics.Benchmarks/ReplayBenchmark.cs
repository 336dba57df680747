using System.Diagnostics;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Ingestion.Replay;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// Replay throughput against DuckDB's own JSON loader on the same file and machine: (a) <see cref="FileReplayer"/>
/// into a fresh database (decode, quarantine, offsets, all in transactions), (b)
/// <c>CREATE TABLE t AS SELECT * FROM read_json(file, format = 'newline_delimited')</c> into another fresh file.
/// </summary>
internal static class ReplayBenchmark
{
    public static int Run(BenchmarkArguments args)
    {
        var dir = args.CreateWorkDirectory("loganalytics-replay-bench");
        var ndjson = Path.Combine(dir, "events.ndjson");
        Console.WriteLine($"replay benchmark: {args.Events:N0} events, {Environment.ProcessorCount} cores, Storage:CheckpointThresholdMiB {args.Settings.GetValueOrDefault("Storage:CheckpointThresholdMiB", $"{StorageOptions.DefaultCheckpointThresholdMiB}")} (0 = DuckDB's 16 MiB), files in {dir}");
        try
        {
            var generation = Stopwatch.StartNew();
            long bytes;
            using (var file = new FileStream(ndjson, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                var router = new SyntheticRouter(new SyntheticRouterOptions
                {
                    Scenario = TrafficScenario.Healthy,
                    Seed = 42,
                    Start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero),
                });
                bytes = router.WriteNdjson(file, args.Events);
            }
            generation.Stop();
            Console.WriteLine($"generated   {args.Events:N0} events, {Format.MiB(bytes)} MiB NDJSON in {generation.Elapsed.TotalSeconds:F1} s");

            // (a) FileReplayer
            var replayDb = Path.Combine(dir, "replay.duckdb");
            ReplayProgress result;
            long peak;
            TimeSpan replayTime;
            ReplayTimings timings;
            string writeTimings;
            TimeSpan replayCpu;
            GcSnapshot gc;
            string threads;
            using (var sampler = new WorkingSetSampler())
            {
                var threads0 = ThreadCpu.Snapshot();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var gc0 = GcSnapshot.Take();
                var watch = Stopwatch.StartNew();
                using (var store = DuckDbEventStore.Open(replayDb, checkpointThresholdMiB: args.Settings.TryGetValue("Storage:CheckpointThresholdMiB", out var threshold)
                    ? int.Parse(threshold, System.Globalization.CultureInfo.InvariantCulture)
                    : StorageOptions.DefaultCheckpointThresholdMiB)) // --set Storage:CheckpointThresholdMiB=0 is DuckDB's own 16 MiB
                {
                    var replayer = args.CreateReplayer(store);
                    result = replayer.Replay(ndjson);
                    threads = ThreadCpu.Difference(threads0, ThreadCpu.Snapshot()); // before DuckDB's threads end with the store
                    timings = replayer.LastTimings;
                    writeTimings = store.Timings.ToString();
                }
                replayTime = watch.Elapsed;
                replayCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                gc = GcSnapshot.Take() - gc0;
                peak = sampler.PeakBytes;
            }
            Console.WriteLine($"replay      {result.Stored:N0} stored, {result.Quarantined:N0} quarantined in {replayTime.TotalSeconds:F2} s = {Format.Rate(args.Events, replayTime)} events/s, peak working set {Format.MiB(peak)} MiB");
            Console.WriteLine($"  cpu       {replayCpu.TotalSeconds:F2} s ({replayCpu.TotalSeconds / replayTime.TotalSeconds:F1} cores busy on average); gc {gc.Describe(args.Events)}");
            Console.WriteLine($"  cpu/event {replayCpu.TotalSeconds * 1e6 / args.Events:F1} µs; threads {threads} (dotnet is the writer, the main thread, and DuckDB's threads, which decode and store the requests; the reader is a .NET TP Worker)");
            Console.WriteLine($"  sections  {timings}");
            Console.WriteLine($"  store     {writeTimings}");
            Console.WriteLine($"  memory    peak RSS of the process after the replay {Format.MiB(Measure.PeakRssBytes())} MiB (VmHWM; generation included, read_json not yet)");

            // (b) DuckDB read_json
            var jsonDb = Path.Combine(dir, "read_json.duckdb");
            TimeSpan readJsonTime;
            TimeSpan readJsonCpu;
            long readJsonRows;
            {
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                using var connection = new DuckDBConnection($"Data Source={jsonDb}");
                connection.Open();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = $"CREATE TABLE t AS SELECT * FROM read_json('{ndjson.Replace("'", "''", StringComparison.Ordinal)}', format = 'newline_delimited')";
                cmd.ExecuteNonQuery();
                cmd.CommandText = "CHECKPOINT";
                cmd.ExecuteNonQuery();
                readJsonTime = watch.Elapsed;
                readJsonCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                cmd.CommandText = "SELECT count(*) FROM t";
                readJsonRows = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
            }
            Console.WriteLine($"read_json   {readJsonRows:N0} rows in {readJsonTime.TotalSeconds:F2} s = {Format.Rate(readJsonRows, readJsonTime)} events/s; cpu {readJsonCpu.TotalSeconds:F2} s = {readJsonCpu.TotalSeconds * 1e6 / readJsonRows:F1} µs per event");

            // (c) DuckDB storing the replay's own decoded rows again, no JSON at all: what storing a row costs DuckDB at
            // the least (one transaction, its own parallel insert), whatever parses the events.
            {
                var copyDb = Path.Combine(dir, "copy.duckdb");
                using var connection = new DuckDBConnection($"Data Source={copyDb}");
                connection.Open();
                using var cmd = connection.CreateCommand();
                cmd.CommandText = $"ATTACH '{replayDb.Replace("'", "''", StringComparison.Ordinal)}' AS replayed (READ_ONLY); CREATE TEMP TABLE decoded AS SELECT * FROM replayed.requests; CREATE TABLE requests AS SELECT * FROM decoded LIMIT 0; DETACH replayed";
                cmd.ExecuteNonQuery();
                var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                cmd.CommandText = "BEGIN; INSERT INTO requests SELECT * FROM decoded; COMMIT; CHECKPOINT";
                cmd.ExecuteNonQuery();
                var copyTime = watch.Elapsed;
                var copyCpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
                cmd.CommandText = "SELECT count(*) FROM requests";
                var copied = Convert.ToInt64(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
                Console.WriteLine($"store floor {copied:N0} decoded request rows stored again by DuckDB (INSERT ... SELECT from a temporary table, one transaction) in {copyTime.TotalSeconds:F2} s; cpu {copyCpu.TotalSeconds:F2} s = {copyCpu.TotalSeconds * 1e6 / Math.Max(1, copied):F1} µs per row");
            }

            var ratio = readJsonTime.TotalSeconds / replayTime.TotalSeconds;
            Console.WriteLine($"ratio       replay / read_json = {ratio:F2}x (issue 9: at least 1.0x, aim 1.5x)");
            return 0;
        }
        finally
        {
            if (!args.Keep)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
