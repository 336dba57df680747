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

        // --set store:rounds=N: N times, each into a new file; --set store:peer=chain: each round also writes the same
        // batches with DuckDB.NET's appender chain (the store's write path before it filled data chunks itself).
        var peer = args.Settings.TryGetValue("store:peer", out var p) && p == "chain";
        var ours = new List<(double Thread, double Process)>();
        var theirs = new List<(double Thread, double Process)>();
        for (var round = 0; round < rounds; round++)
        {
            ours.Add(WriteAll(args, results, null));
            if (peer)
            {
                theirs.Add(WriteAll(args, results, AppenderChainPeer.Write));
            }
        }
        if (peer)
        {
            double Least(List<(double Thread, double Process)> runs, Func<(double Thread, double Process), double> of) => runs.Min(of);
            Console.WriteLine($"cpu per row, least of {rounds} rounds: writer thread store.Write {Least(ours, r => r.Thread):F2} µs, appender chain {Least(theirs, r => r.Thread):F2} µs ({Least(ours, r => r.Thread) / Least(theirs, r => r.Thread):F2}x); " +
                $"process store.Write {Least(ours, r => r.Process):F2} µs, appender chain {Least(theirs, r => r.Process):F2} µs ({Least(ours, r => r.Process) / Least(theirs, r => r.Process):F2}x)");
        }
        return 0;
    }

    /// <summary>Writes every result in batches; returns the writer thread's and the process's CPU per row in µs.</summary>
    private static (double Thread, double Process) WriteAll(BenchmarkArguments args, DecodeResult[] results, Action<DuckDB.NET.Data.DuckDBConnection, IngestBatch>? peer)
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
                    if (peer is null)
                    {
                        store.Write(batch);
                    }
                    else
                    {
                        peer(store.Connection, batch);
                    }
                }
                threadCpu = ThreadCpu() - t0;
            });
            var bytes = new FileInfo(path).Length + (File.Exists(path + ".wal") ? new FileInfo(path + ".wal").Length : 0);
            Console.WriteLine($"{(peer is null ? "store.Write" : "appender chain (peer)")}, batches of {size:N0}: {wall:F2} s wall, {cpu:F2} s cpu = {cpu * 1e6 / results.Length:F1} µs per row, writer thread {threadCpu * 1e6 / results.Length:F1} µs{(peer is null ? $" ({store.Timings})" : "")}; file + wal {bytes / 1048576.0:F1} MiB");
            return (threadCpu * 1e6 / results.Length, cpu * 1e6 / results.Length);
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
        // This thread's time on a CPU in ns, the first field of /proc/thread-self/schedstat (Linux): the writer alone,
        // without DuckDB's own threads.
        var schedstat = File.ReadAllText("/proc/thread-self/schedstat");
        return long.Parse(schedstat[..schedstat.IndexOf(' ', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture) / 1e9;
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
