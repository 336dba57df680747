using Microsoft.Extensions.Options;

namespace LogAnalytics.Storage;

/// <summary>Owns the process's one writable <see cref="DuckDbEventStore"/>, opened on first use (after options
/// validation) and closed with the host.</summary>
public sealed class EventStoreProvider(IOptions<StorageOptions> options) : IDisposable
{
    private readonly Lazy<DuckDbEventStore> _store = new(() => DuckDbEventStore.Open(options.Value.DatabasePath));

    /// <summary>The store; opening it applies migrations.</summary>
    public DuckDbEventStore Store => _store.Value;

    /// <inheritdoc />
    public void Dispose()
    {
        if (_store.IsValueCreated)
        {
            _store.Value.Dispose();
        }
    }
}
