using Microsoft.Extensions.Logging;

namespace LogAnalytics.Storage;

/// <summary>Refreshes the analysts' read-only snapshot (see <see cref="DuckDbEventStore.WriteSnapshot(string)"/>) every
/// <c>Storage:SnapshotIntervalSeconds</c>, from <see cref="Lake.LakeService"/>'s own connection: the copy is read in
/// one DuckDB transaction while the ingestion thread keeps writing.</summary>
internal sealed class AnalystSnapshotSchedule(StorageOptions options, TimeProvider clock, ILogger log)
{
    private readonly string? _path = options.DatabasePath == ":memory:" ? null : options.EffectiveSnapshotPath;
    private DateTimeOffset _due = clock.GetUtcNow();
    private bool _warned;

    /// <summary>Writes the snapshot when it is due. A failure is logged and retried at the next interval; it never
    /// stops ingestion.</summary>
    public void RunIfDue(DuckDB.NET.Data.DuckDBConnection connection)
    {
        if (_path is null || clock.GetUtcNow() < _due)
        {
            return;
        }
        _due = clock.GetUtcNow().AddSeconds(options.SnapshotIntervalSeconds);
        log.LogDebug("Refreshing the whole-database snapshot {SnapshotPath}", _path);
        try
        {
            DuckDbEventStore.WriteSnapshot(connection, _path);
            _warned = false;
        }
        catch (Exception ex) when (!_warned)
        {
            _warned = true;
            log.LogWarning(ex, "Could not refresh the analyst snapshot {SnapshotPath}: {Error}. Ingestion continues; check the folder is writable or set Storage:SnapshotIntervalSeconds to 0",
                _path, ex.Message);
        }
        catch (Exception)
        {
            // Already reported; try again next interval.
        }
    }
}
