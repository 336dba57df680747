using System.Diagnostics;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// The same events (6 partitions) stored by 1, 2 and 3 workers side by side, each worker on its own thread with its own
/// DuckDB file and decoder, all flushing to one shared lake (<c>Storage:LakeShared</c>): decode, store in batches of
/// 5,000 like the worker, flush the lake every 100,000 rows. No Kafka (its consume cost is per message and does not
/// depend on the number of workers; see the kafka benchmark). Prints events/s and CPU per event for each count.
/// </summary>
internal static class ScaleBenchmark
{
    private const int Partitions = 6;
    private const int BatchEvents = 5_000;
    private const int FlushEvery = 100_000;

    public static int Run(BenchmarkArguments args)
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var router = new SyntheticRouter(new SyntheticRouterOptions { Seed = 42, Start = start, EventsPerSecond = 200 });
        var messages = router.Take(args.Events).Select((m, i) => (Partition: i % Partitions, Offset: (long)(i / Partitions), m.Value)).ToList();
        Console.WriteLine($"scale: {messages.Count:N0} synthetic messages on {Partitions} partitions, {Environment.ProcessorCount} cores; each worker decodes, stores (batches of {BatchEvents:N0}) and flushes its partitions to one shared lake");
        // Warm-up (JIT, DuckDB's first use), not reported: otherwise the first count measured pays it alone.
        var warm = args.CreateWorkDirectory("loganalytics-scale-warmup");
        Work(Path.Combine(warm, "w.duckdb"), Path.Combine(warm, "lake"), messages.Take(Math.Min(messages.Count, 30_000)).ToList(), start);
        Directory.Delete(warm, recursive: true);
        var results = new List<(int Workers, double Wall, double Cpu)>();
        foreach (var workers in new[] { 1, 2, 3 })
        {
            var dir = args.CreateWorkDirectory($"loganalytics-scale-{workers}");
            try
            {
                var lake = Path.Combine(dir, "lake");
                var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
                var watch = Stopwatch.StartNew();
                var threads = Enumerable.Range(0, workers).Select(w => new Thread(() => Work(
                    Path.Combine(dir, $"w{w}.duckdb"), lake, messages.Where(m => m.Partition % workers == w).ToList(), start))).ToList();
                threads.ForEach(t => t.Start());
                threads.ForEach(t => t.Join());
                var wall = watch.Elapsed.TotalSeconds;
                var cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
                results.Add((workers, wall, cpu));
                Console.WriteLine($"{workers} worker(s): {messages.Count / wall:N0} events/s wall, {cpu / messages.Count * 1e6:F1} µs CPU per event ({wall:F1} s wall, {cpu:F1} s CPU)");
            }
            finally
            {
                if (!args.Keep)
                {
                    Directory.Delete(dir, recursive: true);
                }
            }
        }
        var one = results[0];
        Console.WriteLine("workers | events/s | vs 1 worker | µs CPU per event | vs 1 worker");
        foreach (var (w, wall, cpu) in results)
        {
            Console.WriteLine($"{w} | {messages.Count / wall:N0} | {one.Wall / wall:F2}x | {cpu / messages.Count * 1e6:F1} | {cpu / one.Cpu:F2}x");
        }
        return 0;
    }

    private static void Work(string dbPath, string lake, List<(int Partition, long Offset, byte[] Value)> messages, DateTimeOffset start)
    {
        using var store = DuckDbEventStore.Open(dbPath);
        using var connection = new DuckDBConnection($"Data Source={dbPath}");
        connection.Open();
        var writer = new LakeWriter(connection, lake, TimeSpan.FromMinutes(1)) { Shared = true };
        writer.Recover();
        var decoder = new EventDecoder(new FixedClock(start.AddDays(30)));
        var sinceFlush = 0;
        foreach (var chunk in messages.Chunk(BatchEvents))
        {
            var batch = new IngestBatch();
            foreach (var (partition, offset, value) in chunk)
            {
                batch.Add(new SourcePosition("router-logs", partition, offset), decoder.Decode(value), null, value, start);
            }
            store.Write(batch);
            sinceFlush += chunk.Length;
            if (sinceFlush >= FlushEvery)
            {
                writer.Flush(DateTimeOffset.UtcNow);
                sinceFlush = 0;
            }
        }
        writer.Flush(DateTimeOffset.UtcNow);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
