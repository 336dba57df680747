using Microsoft.Extensions.Options;

namespace LogAnalytics.Storage;

/// <summary>Owns the process's one writable <see cref="DuckDbEventStore"/>, opened on first use (after options
/// validation) with DuckDB's memory limit set to <c>Storage:DatabaseMemoryLimitMiB</c> and its checkpoint threshold to
/// <c>Storage:CheckpointThresholdMiB</c> (for every connection of the process), and closed with the host.</summary>
public sealed class EventStoreProvider(IOptions<StorageOptions> options) : IDisposable
{
    private readonly Lazy<DuckDbEventStore> _store = new(() => DuckDbEventStore.Open(options.Value.DatabasePath,
        memoryLimitMiB: options.Value.DatabaseMemoryLimitMiB is > 0 and var limit ? limit : null,
        checkpointThresholdMiB: options.Value.CheckpointThresholdMiB));

    /// <summary>True once the store is open (and therefore migrated).</summary>
    public bool IsOpen => _store.IsValueCreated;

    /// <summary>The store; opening it applies migrations.</summary>
    public DuckDbEventStore Store => _store.Value;

    /// <summary>A second connection to the same database (same in-process instance), for readers on another thread
    /// such as the verdict worker. The caller disposes it.</summary>
    public DuckDB.NET.Data.DuckDBConnection OpenConnection()
    {
        var store = Store;
        if (store.DatabasePath == ":memory:")
        {
            lock (_store)
            {
                return store.Connection.Duplicate();
            }
        }
        // DuckDB.NET shares one database instance per file within the process, so this is the same database.
        var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={store.DatabasePath}");
        connection.Open();
        return connection;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_store.IsValueCreated)
        {
            _store.Value.Dispose();
        }
    }
}
