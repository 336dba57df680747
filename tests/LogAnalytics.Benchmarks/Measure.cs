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

internal static class Format
{
    public static string Rate(long events, TimeSpan elapsed) => (events / Math.Max(elapsed.TotalSeconds, 1e-9)).ToString("N0");

    public static string MiB(long bytes) => (bytes / 1048576.0).ToString("N1");
}
