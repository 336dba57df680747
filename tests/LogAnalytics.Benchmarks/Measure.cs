using System.Diagnostics;

namespace LogAnalytics.Benchmarks;

/// <summary>Samples the process's working set while an operation runs, to report its peak.</summary>
internal sealed class WorkingSetSampler : IDisposable
{
    private readonly Process _process = Process.GetCurrentProcess();
    private readonly Timer _timer;
    private long _peak;

    public WorkingSetSampler()
    {
        Sample();
        _timer = new Timer(_ => Sample(), null, TimeSpan.Zero, TimeSpan.FromMilliseconds(50));
    }

    public long PeakBytes
    {
        get
        {
            Sample();
            return Interlocked.Read(ref _peak);
        }
    }

    private void Sample()
    {
        lock (_process)
        {
            _process.Refresh();
            var ws = _process.WorkingSet64;
            if (ws > _peak)
            {
                Interlocked.Exchange(ref _peak, ws);
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _process.Dispose();
    }
}

internal static class Measure
{
    /// <summary>The process's peak resident set size (VmHWM in /proc/self/status), or the current working set where
    /// /proc is not available.</summary>
    public static long PeakRssBytes()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
            {
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                {
                    var kb = line["VmHWM:".Length..].Trim().Split(' ')[0];
                    return long.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) * 1024;
                }
            }
        }
        catch (IOException)
        {
            // Not Linux: fall through.
        }
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}

/// <summary>CPU time per thread name from /proc/self/task (Linux), to see which stage burns it.</summary>
internal static class ThreadCpu
{
    public static Dictionary<string, double> Snapshot()
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        try
        {
            foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(task, "stat"));
                    var open = stat.IndexOf('(', StringComparison.Ordinal);
                    var close = stat.LastIndexOf(')');
                    var name = System.Text.RegularExpressions.Regex.Replace(stat[(open + 1)..close], "[0-9]+", "#");
                    var fields = stat[(close + 2)..].Split(' ');
                    var ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
                    result[name] = result.GetValueOrDefault(name) + ticks / 100.0;
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (DirectoryNotFoundException)
        {
            // Not Linux.
        }
        return result;
    }

    public static string Difference(Dictionary<string, double> before, Dictionary<string, double> after) =>
        string.Join(", ", after.Select(kv => (kv.Key, Seconds: kv.Value - before.GetValueOrDefault(kv.Key)))
            .Where(x => x.Seconds >= 0.05).OrderByDescending(x => x.Seconds).Select(x => $"{x.Key} {x.Seconds:F2} s"));
}

internal static class Format
{
    public static string Rate(long events, TimeSpan elapsed) => (events / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("N0");

    public static string MiB(long bytes) => (bytes / 1048576.0).ToString("N1");
}

/// <summary>The garbage collector's counters at one moment; the difference of two says what a run cost the GC.</summary>
internal readonly record struct GcSnapshot(int Gen0, int Gen1, int Gen2, TimeSpan Pause, long Allocated)
{
    public static GcSnapshot Take() => new(GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2),
        GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes(precise: false));

    public static GcSnapshot operator -(GcSnapshot a, GcSnapshot b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Pause - b.Pause, a.Allocated - b.Allocated);

    /// <summary>Collections by generation, time the program was paused, and bytes allocated per item.</summary>
    public string Describe(long items) => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"{Gen0} collections ({Gen1} of them gen1, {Gen2} gen2), paused {Pause.TotalSeconds:F2} s, {(double)Allocated / Math.Max(1, items):F0} bytes allocated per message");
}
