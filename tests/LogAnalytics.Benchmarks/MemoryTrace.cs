using System.Globalization;
using DuckDB.NET.Data;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// Says what the process's memory is when its RSS peaks (<c>soak --trace-memory</c>): every 5 ms it reads the RSS, and
/// each time it passes its previous maximum by more than 4 MiB it prints one line with what the ingestion and the
/// refresher were doing, DuckDB's own accounting (<c>duckdb_memory()</c> by tag) and the managed heap. What is left of
/// the RSS is the runtime, the DuckDB library and native memory outside DuckDB's buffer manager.
/// </summary>
internal sealed class MemoryTrace : IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly Func<long> _stored;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _sampler;

    public MemoryTrace(DuckDBConnection connection, Func<long> stored)
    {
        _connection = connection;
        _stored = stored;
        _sampler = Task.Run(Sample);
    }

    /// <summary>What the ingestion thread does now (decode, write).</summary>
    public string Ingest { get; set; } = "start";

    /// <summary>What the refresher does now (idle, flush, compact, retention).</summary>
    public string Refresh { get; set; } = "idle";

    private void Sample()
    {
        long max = 0;
        while (!_stop.IsCancellationRequested)
        {
            var rss = long.Parse(File.ReadAllText("/proc/self/statm").Split(' ')[1], CultureInfo.InvariantCulture) * Environment.SystemPageSize;
            if (rss > max + (4 << 20))
            {
                max = rss;
                var (ingest, refresh) = (Ingest, Refresh);
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes >= 1048576 ORDER BY 2 DESC";
                using var reader = cmd.ExecuteReader();
                var tags = new List<string>();
                long duck = 0;
                while (reader.Read())
                {
                    duck += reader.GetInt64(1);
                    tags.Add($"{reader.GetString(0)} {Format.MiB(reader.GetInt64(1))}");
                }
                var gc = GC.GetGCMemoryInfo();
                Console.WriteLine($"memory: RSS {Format.MiB(rss)} MiB at {_stored():N0} events (ingest {ingest}, refresh {refresh}): DuckDB {Format.MiB(duck)} MiB ({string.Join(", ", tags)}), managed heap {Format.MiB(GC.GetTotalMemory(false))} MiB ({Format.MiB(gc.TotalCommittedBytes)} committed), rest {Format.MiB(rss - duck - gc.TotalCommittedBytes)} MiB");
            }
            _stop.Token.WaitHandle.WaitOne(5);
        }
    }

    public void Dispose()
    {
        if (_stop.IsCancellationRequested)
        {
            return;
        }
        _stop.Cancel();
        _sampler.Wait();
        _stop.Dispose();
    }
}
