using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Storage.Lake;

/// <summary>
/// The storage side's background work, on a thread of its own with a DuckDB connection of its own to the worker's
/// database (the ingestion thread is never paused by it): every <c>Storage:LakeFlushSeconds</c> it writes newly stored
/// rows to the lake, compacts sealed hours and applies <c>Storage:RetentionDays</c>; the optional whole-database snapshot
/// (<c>Storage:SnapshotIntervalSeconds</c>) runs here too. A failure is logged and retried next time; it never stops
/// ingestion, and retention deletes nothing the lake does not hold.
/// </summary>
internal sealed class LakeService(
    IOptions<StorageOptions> storageOptions,
    EventStoreProvider storeProvider,
    LakeStatistics statistics,
    TimeProvider clock,
    ILogger<LakeService> log) : BackgroundService
{
    private readonly StorageOptions _options = storageOptions.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lakePath = _options.EffectiveLakePath;
        var snapshots = new AnalystSnapshotSchedule(_options, clock, log);
        var snapshotOn = _options.DatabasePath != ":memory:" && _options.EffectiveSnapshotPath is not null;
        if (lakePath is null && _options.RetentionDays == 0 && !snapshotOn)
        {
            return;
        }
        await Task.Yield();
        using var connection = storeProvider.OpenConnection();
        LakeWriter? lake = null;
        if (lakePath is not null)
        {
            lake = new LakeWriter(connection, lakePath, TimeSpan.FromSeconds(Math.Max(_options.LakeFlushSeconds, 60)),
                LakeWriter.WriterIdFor(_options.DatabasePath)) { Shared = _options.LakeShared };
            lake.Recover();
            log.LogInformation("Writing the analyst lake {LakePath} every {LakeFlushSeconds} s (read it with sql/lake/views.sql)",
                lake.Root, _options.LakeFlushSeconds);
        }
        else if (_options.RetentionDays > 0)
        {
            log.LogWarning("Storage:LakePath is empty: rows older than Storage:RetentionDays {RetentionDays} are deleted without a copy in a lake. Set Storage:LakePath to keep them, or Storage:RetentionDays to 0 to keep everything in the DuckDB file",
                _options.RetentionDays);
        }
        var retention = _options.RetentionDays > 0
            ? new Retention(connection, TimeSpan.FromDays(_options.RetentionDays), log)
            : null;
        var interval = TimeSpan.FromSeconds(lake is null && retention is null
            ? _options.SnapshotIntervalSeconds
            : Math.Min(_options.LakeFlushSeconds, snapshotOn ? _options.SnapshotIntervalSeconds : int.MaxValue));
        using var timer = new PeriodicTimer(interval, clock);
        var failing = false;
        do
        {
            try
            {
                RunOnce(lake, retention, snapshots, connection);
                if (failing)
                {
                    log.LogInformation("The lake and retention run again");
                }
                failing = false;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                if (!failing)
                {
                    log.LogWarning(ex, "Lake refresh or retention failed: {Error}. Ingestion continues and nothing is deleted that the lake does not hold; retrying every {IntervalSeconds} s. Check that {LakePath} is writable and has free space",
                        ex.Message, interval.TotalSeconds, lakePath);
                }
                failing = true;
            }
        }
        while (await WaitNext(timer, stoppingToken));
        try
        {
            lake?.Flush(clock.GetUtcNow());
        }
        catch (Exception ex)
        {
            log.LogWarning(ex, "The last lake flush at shutdown failed: {Error}; the next start writes those rows", ex.Message);
        }
    }

    private void RunOnce(LakeWriter? lake, Retention? retention, AnalystSnapshotSchedule snapshots, DuckDB.NET.Data.DuckDBConnection connection)
    {
        var now = clock.GetUtcNow();
        if (lake is not null)
        {
            var flushed = lake.Flush(now);
            var compacted = lake.CompactSealedHours(now);
            statistics.RecordRefresh(flushed, compacted);
            log.LogDebug("Lake refresh wrote {Rows} rows in {Files} files in {ElapsedMs} ms; compaction replaced {Compacted} files",
                flushed.Rows, flushed.Files, flushed.Elapsed.TotalMilliseconds, compacted);
        }
        if (retention is not null)
        {
            var started = Stopwatch.GetTimestamp();
            var deleted = retention.Run(now, lake?.DurableOffsets);
            statistics.RecordRetention(deleted, Stopwatch.GetElapsedTime(started));
            if (deleted > 0)
            {
                log.LogInformation("Retention deleted {Rows} rows older than {RetentionDays} days that the lake holds", deleted, _options.RetentionDays);
            }
        }
        snapshots.RunIfDue(connection);
    }

    private static async Task<bool> WaitNext(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }
}

/// <summary>What the lake service did last (for benchmarks, probes and metrics).</summary>
public sealed class LakeStatistics
{
    private readonly Lock _lock = new();

    /// <summary>The last lake refresh.</summary>
    public LakeFlushResult LastRefresh { get; private set; }

    /// <summary>Refreshes so far.</summary>
    public long Refreshes { get; private set; }

    /// <summary>Rows deleted by retention so far.</summary>
    public long RowsDeleted { get; private set; }

    internal void RecordRefresh(LakeFlushResult result, int compacted)
    {
        lock (_lock)
        {
            LastRefresh = result;
            Refreshes++;
        }
    }

    internal void RecordRetention(long deleted, TimeSpan elapsed)
    {
        lock (_lock)
        {
            RowsDeleted += deleted;
        }
    }
}
