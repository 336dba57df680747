using System.Diagnostics;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Ingestion.Replay;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// Memory on a hostile file: <see cref="HostileFile"/> writes <c>--events</c> lines (truncations, bit flips,
/// NaN/Infinity, deep nesting, random bytes, UTF-16, duplicate keys, NUL characters, prose), 4.66 % of them with a
/// 2 MB string field as in issue 12's fuzzed file; the replay's peak working set is printed, and with <c>--keep</c>
/// the file stays for <c>/usr/bin/time -v loganalytics replay FILE --db X</c> (the CLI's peak RSS).
/// </summary>
internal static class HostileBenchmark
{
    public static int Run(BenchmarkArguments args)
    {
        var dir = args.CreateWorkDirectory("loganalytics-hostile-bench");
        var path = Path.Combine(dir, "hostile.ndjson");
        var lines = (int)args.Events;
        var huge = (int)Math.Round(lines * 0.0466);
        IReadOnlyList<HostileLine> written;
        using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
        {
            written = HostileFile.Write(file, lines, huge);
        }
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var size = new FileInfo(path).Length;
        Console.WriteLine($"hostile file {lines:N0} lines ({huge:N0} with a 2 MB field, {written.Count(l => l.IsValid):N0} valid events), {Format.MiB(size)} MiB, in {dir}");
        try
        {
            using var sampler = new WorkingSetSampler();
            var before = sampler.PeakBytes;
            var watch = Stopwatch.StartNew();
            ReplayProgress result;
            using (var store = DuckDbEventStore.Open(Path.Combine(dir, "hostile.duckdb")))
            {
                var replayer = args.CreateReplayer(store); // --set Replay:BatchBytes=33554432: the earlier 32 MiB blocks
                result = replayer.Replay(path);
            }
            Console.WriteLine($"replay      {result.Stored:N0} stored, {result.NotEvents:N0} not events, {result.BrokenEvents:N0} broken events in {watch.Elapsed.TotalSeconds:F1} s");
            Console.WriteLine($"memory      peak working set {Format.MiB(sampler.PeakBytes)} MiB (after generating the file: {Format.MiB(before)} MiB)");
            Console.WriteLine($"check       every valid event stored: {(result.Stored == written.Count(l => l.IsValid) ? "yes" : "NO")}, every other line quarantined: {(result.Quarantined == lines - written.Count(l => l.IsValid) ? "yes" : "NO")}");
            if (args.Keep)
            {
                Console.WriteLine($"kept        /usr/bin/time -v loganalytics replay {path} --db {Path.Combine(dir, "cli.duckdb")}   # the CLI's peak RSS");
            }
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
