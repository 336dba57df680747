using System.Diagnostics;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// The replay's stages measured one at a time on messages already in memory, to tell which one to optimise:
/// decoding on one thread and in parallel, and <see cref="DuckDbEventStore.Write"/> alone. CPU time is printed
/// beside wall time because on a shared machine wall time also counts other processes.
/// </summary>
internal static class ProfileBench
{
    public static int Run(BenchmarkArguments args)
    {
        var router = new SyntheticRouter(new SyntheticRouterOptions { Seed = 42, Start = new DateTimeOffset(2025, 6, 1, 0, 0, 0, TimeSpan.Zero) });
        var lines = router.Take(args.Events).Select(m => m.Value).ToArray();
        var decoder = new EventDecoder();
        Console.WriteLine($"profile: {lines.Length:N0} synthetic messages in memory, {Environment.ProcessorCount} cores");

        DecodeResult[] results = [];
        var rounds = args.Settings.TryGetValue("store:rounds", out var r) ? int.Parse(r, System.Globalization.CultureInfo.InvariantCulture) : 1;
        var writeOnly = rounds > 1; // repeating the writes (to take the least CPU on a shared machine): decode once
        for (var round = 1; round <= (writeOnly ? 1 : 2); round++)
        {
            results = new DecodeResult[lines.Length];
            var allocated = GC.GetTotalAllocatedBytes();
            var (wall, cpu) = Time(() =>
            {
                for (var i = 0; i < lines.Length; i++)
                {
                    results[i] = decoder.Decode(lines[i]);
                }
            });
            Console.WriteLine($"decode, 1 thread (round {round}):  {wall:F2} s wall, {cpu:F2} s cpu, {(GC.GetTotalAllocatedBytes() - allocated) / (double)lines.Length:N0} bytes allocated per message");
        }
        if (!writeOnly)
        {
            var parallel = new DecodeResult[lines.Length];
            var (wall, cpu) = Time(() => Parallel.For(0, lines.Length, i => parallel[i] = decoder.Decode(lines[i])));
            Console.WriteLine($"decode, parallel:          {wall:F2} s wall, {cpu:F2} s cpu");
        }

        for (var round = 0; round < rounds; round++)
        {
            WriteAll(args, results); // --set store:rounds=N: N times, each into a new file
        }
        return 0;
    }

    private static void WriteAll(BenchmarkArguments args, DecodeResult[] results)
    {
        var path = Path.Combine(args.CreateWorkDirectory("loganalytics-profile"), "write.duckdb");
        try
        {
            using var store = DuckDbEventStore.Open(path);
            foreach (var (key, value) in args.Settings.Where(s => s.Key.StartsWith("duckdb:", StringComparison.Ordinal)))
            {
                store.Execute($"SET {key["duckdb:".Length..]} = {value}"); // e.g. --set duckdb:preserve_insertion_order=false
                Console.WriteLine($"duckdb setting {key["duckdb:".Length..]} = {value}");
            }
            var size = args.BatchLines ?? 100_000;
            var threadCpu = 0.0;
            var (wall, cpu) = Time(() =>
            {
                var t0 = ThreadCpu();
                for (var start = 0; start < results.Length; start += size)
                {
                    var batch = new IngestBatch();
                    for (var i = start; i < Math.Min(results.Length, start + size); i++)
                    {
                        batch.Add(new SourcePosition("file:profile", 0, i), results[i], null, null, DateTimeOffset.UtcNow);
                    }
                    store.Write(batch);
                }
                threadCpu = ThreadCpu() - t0;
            });
            var bytes = new FileInfo(path).Length + (File.Exists(path + ".wal") ? new FileInfo(path + ".wal").Length : 0);
            Console.WriteLine($"store.Write, batches of {size:N0}: {wall:F2} s wall, {cpu:F2} s cpu = {cpu * 1e6 / results.Length:F1} µs per row, writer thread {threadCpu * 1e6 / results.Length:F1} µs ({store.Timings}); file + wal {bytes / 1048576.0:F1} MiB");
        }
        finally
        {
            if (!args.Keep)
            {
                Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
            }
        }
    }

    private static double ThreadCpu()
    {
        // This thread's utime + stime from /proc/thread-self/stat (Linux), in clock ticks of 1/100 s: the writer alone,
        // without DuckDB's own threads.
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture)) / 100.0;
    }

    private static (double Wall, double Cpu) Time(Action action)
    {
        using var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        action();
        process.Refresh();
        return (watch.Elapsed.TotalSeconds, (process.TotalProcessorTime - cpu).TotalSeconds);
    }
}
