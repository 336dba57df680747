using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;

namespace LogAnalytics.Storage;

/// <summary>
/// The DuckDB adapter: applies migrations, stores batches of events together with the offsets they cover in one
/// transaction (that is the exactly-once guarantee), and answers the stored offsets on partition assignment.
/// One instance owns the file's write lock; it is not thread-safe (one consume loop or replay uses it).
/// </summary>
public sealed class DuckDbEventStore : IDisposable
{
    private readonly DuckDBConnection _connection;

    // The stored next offsets per source, read once per source and then kept up to date by Write: this instance is the
    // file's only writer of ingest_offsets (it holds the file's lock), so a query per batch would only read back what
    // it wrote itself. Updated after a commit only; cleared when a write fails, so it never runs ahead of the file.
    private readonly Dictionary<string, Dictionary<int, long>> _offsets = new(StringComparer.Ordinal);

    private DuckDbEventStore(DuckDBConnection connection, string path)
    {
        _connection = connection;
        DatabasePath = path;
    }

    /// <summary>The DuckDB file.</summary>
    public string DatabasePath { get; }

    /// <summary>The open connection, for queries on the same file (KPIs, verdicts). Do not use from another thread
    /// while a batch is written.</summary>
    internal DuckDBConnection Connection => _connection;

    /// <summary>Where <see cref="Write"/> spent its time so far (for benchmarks and profiling).</summary>
    internal WriteTimings Timings { get; } = new();

    /// <summary>Opens (creating if needed) the database file and applies pending migrations from sql/migrations.</summary>
    /// <param name="databasePath">A file path, or <c>:memory:</c>.</param>
    /// <param name="readOnly">Open without taking the write lock (fails while a worker holds it).</param>
    /// <param name="memoryLimitMiB">DuckDB's memory limit for this database (every connection to it in the process),
    /// or null to leave DuckDB's default (80 % of the machine's memory).</param>
    /// <param name="checkpointThresholdMiB">How much write-ahead log DuckDB lets grow before it checkpoints, in MiB
    /// (<c>Storage:CheckpointThresholdMiB</c>), or 0 to leave DuckDB's default (16 MiB); ignored when read-only.</param>
    /// <exception cref="DuckDBException">The file cannot be opened, e.g. another process holds its lock.</exception>
    public static DuckDbEventStore Open(string databasePath, bool readOnly = false, int? memoryLimitMiB = null,
        int checkpointThresholdMiB = StorageOptions.DefaultCheckpointThresholdMiB)
    {
        if (!readOnly && databasePath != ":memory:")
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(databasePath));
            if (!string.IsNullOrEmpty(dir))
            {
                Directory.CreateDirectory(dir);
            }
        }
        var connection = new DuckDBConnection($"Data Source={databasePath}{(readOnly ? ";ACCESS_MODE=READ_ONLY" : "")}");
        connection.Open();
        var store = new DuckDbEventStore(connection, databasePath);
        try
        {
            if (memoryLimitMiB is { } limit)
            {
                store.SetMemoryLimit(limit);
            }
            if (!readOnly && checkpointThresholdMiB > 0)
            {
                store.SetCheckpointThreshold(checkpointThresholdMiB);
            }
            if (!readOnly)
            {
                store.Migrate();
            }
            return store;
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>Sets DuckDB's memory limit for this database (every connection to it in the process), in MiB.</summary>
    public void SetMemoryLimit(int mebibytes) => Execute(string.Create(CultureInfo.InvariantCulture, $"SET memory_limit = '{mebibytes}MiB'"));

    /// <summary>Sets how much write-ahead log DuckDB lets grow before it checkpoints this database, in MiB.</summary>
    public void SetCheckpointThreshold(int mebibytes) => Execute(string.Create(CultureInfo.InvariantCulture, $"SET checkpoint_threshold = '{mebibytes}MiB'"));

    /// <summary>The schema version in the file (the highest applied migration).</summary>
    public int SchemaVersion() => Convert.ToInt32(Scalar("SELECT coalesce(max(version), 0) FROM schema_migrations"), CultureInfo.InvariantCulture);

    private void Migrate()
    {
        Execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL)");
        var applied = SchemaVersion();
        foreach (var (version, name, sql) in SqlScripts.Migrations().Where(m => m.Version > applied))
        {
            using var tx = _connection.BeginTransaction();
            Execute(sql);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "INSERT INTO schema_migrations VALUES ($v, $n, now())";
            cmd.Parameters.Add(new DuckDBParameter("v", version));
            cmd.Parameters.Add(new DuckDBParameter("n", name));
            cmd.ExecuteNonQuery();
            tx.Commit();
        }
    }

    /// <summary>The next offset to read for each stored partition of <paramref name="source"/>, read from the file
    /// (and remembered: see <see cref="Write"/>).</summary>
    public IReadOnlyDictionary<int, long> LoadOffsets(string source)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT source_partition, next_offset FROM ingest_offsets WHERE source = $s";
        cmd.Parameters.Add(new DuckDBParameter("s", source));
        using var reader = cmd.ExecuteReader();
        var result = new Dictionary<int, long>();
        while (reader.Read())
        {
            result[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        _offsets[source] = new Dictionary<int, long>(result);
        return result;
    }

    /// <summary>Forgets the remembered offsets, so the next <see cref="Write"/> reads them from the file again. Needed
    /// only if something other than this instance changed <c>ingest_offsets</c>.</summary>
    public void ForgetOffsets() => _offsets.Clear();

    /// <summary>
    /// Stores a batch: its events, its quarantined messages and its next offsets, in one transaction.
    /// Rows at offsets below what is already stored for their partition are skipped, so writing the same
    /// messages twice (a redelivery after a rebalance, a file replayed again) adds nothing.
    /// </summary>
    /// <returns>How many rows of each kind were written (after skipping what was already stored).</returns>
    public BatchWriteResult Write(IngestBatch batch) => WriteWithRequestChunks(batch, [], NothingLeftOut);

    private static readonly Dictionary<(string Source, int Partition), (long First, long Last)> NothingLeftOut = new();

    /// <summary>Writes <paramref name="batch"/> and requests decoded ahead into DuckDB's chunks
    /// (<see cref="DuckDbRequestChunks"/>, whose offsets the batch covers) in one transaction; their rows in
    /// <paramref name="leaveOut"/>'s offset ranges are not stored.</summary>
    internal BatchWriteResult WriteWithRequestChunks(IngestBatch batch, IReadOnlyList<DuckDbRequestChunks> requests,
        IReadOnlyDictionary<(string Source, int Partition), (long First, long Last)> leaveOut)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.NextOffsets.Count == 0)
        {
            return default;
        }
        using var transaction = BeginWrite();
        transaction.AppendRequests(requests, leaveOut);
        transaction.Append(batch);
        transaction.Commit();
        return transaction.Appended;
    }

    /// <summary>Starts a transaction that stores several batches and commits their rows and offsets together (see
    /// <see cref="DuckDbWriteTransaction"/>); <see cref="Write"/> is one batch in one such transaction.</summary>
    public DuckDbWriteTransaction BeginWrite()
    {
        // The requests' INSERT ... SELECT reads a table function, registered outside the transaction (a registration
        // inside one that rolls back would be rolled back with it).
        DuckDbRowSource.EnsureRegistered(_connection);
        return new(this, _connection, _offsets);
    }

    /// <summary>Upserts the next offsets that moved forward, all partitions in one statement.</summary>
    internal static void UpsertOffsets(DuckDBConnection connection, IReadOnlyDictionary<(string Source, int Partition), long> offsets,
        Dictionary<(string, int), long> stored, DateTimeOffset now)
    {
        using var cmd = connection.CreateCommand();
        var values = new System.Text.StringBuilder();
        foreach (var ((source, partition), next) in offsets)
        {
            if (stored.TryGetValue((source, partition), out var old) && old >= next)
            {
                continue;
            }
            var i = cmd.Parameters.Count;
            values.Append(values.Length == 0 ? "" : ", ").Append(CultureInfo.InvariantCulture, $"(${i + 1}, ${i + 2}, ${i + 3}, ${i + 4})");
            cmd.Parameters.Add(new DuckDBParameter(source));
            cmd.Parameters.Add(new DuckDBParameter(partition));
            cmd.Parameters.Add(new DuckDBParameter(next));
            cmd.Parameters.Add(new DuckDBParameter(now));
        }
        if (values.Length == 0)
        {
            return;
        }
        cmd.CommandText = $"""
            INSERT INTO ingest_offsets VALUES {values}
            ON CONFLICT (source, source_partition) DO UPDATE
            SET next_offset = greatest(ingest_offsets.next_offset, excluded.next_offset), updated_at = excluded.updated_at
            """;
        cmd.ExecuteNonQuery();
    }

    /// <summary>
    /// Writes a consistent, read-only copy of the database for analysts to <paramref name="snapshotPath"/>:
    /// copied in one transaction to a temporary file, then renamed over the old snapshot, so a reader never sees
    /// a half-written batch and never contends for the worker's lock.
    /// </summary>
    public void WriteSnapshot(string snapshotPath) => WriteSnapshot(_connection, snapshotPath);

    /// <summary>As <see cref="WriteSnapshot(string)"/>, through any connection to the database (e.g. a background
    /// service's own, so that ingestion is not paused while the copy is written).</summary>
    public static void WriteSnapshot(DuckDBConnection connection, string snapshotPath)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var full = Path.GetFullPath(snapshotPath);
        var temp = full + ".tmp";
        File.Delete(temp);
        File.Delete(temp + ".wal");
        void Run(string sql)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            cmd.ExecuteNonQuery();
        }
        string source;
        using (var cmd = connection.CreateCommand())
        {
            cmd.CommandText = "SELECT current_database()";
            source = Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture)!;
        }
        Run($"ATTACH '{temp.Replace("'", "''", StringComparison.Ordinal)}' AS la_snapshot");
        try
        {
            Run($"COPY FROM DATABASE \"{source.Replace("\"", "\"\"", StringComparison.Ordinal)}\" TO la_snapshot");
        }
        finally
        {
            Run("DETACH la_snapshot");
        }
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Runs a statement.</summary>
    internal void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Runs a query and returns its first value.</summary>
    internal object? Scalar(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    /// <inheritdoc />
    public void Dispose() => _connection.Dispose();
}

/// <summary>Rows written by one <see cref="DuckDbEventStore.Write"/>.</summary>
public readonly record struct BatchWriteResult(int Requests, int Validations, int Stages, int Quarantined)
{
    /// <summary>All rows written.</summary>
    public int Total => Requests + Validations + Stages + Quarantined;
}

/// <summary>Time spent in the sections of <see cref="DuckDbEventStore.Write"/>, accumulated (Stopwatch ticks).</summary>
internal sealed class WriteTimings
{
    public long PrepareTicks { get; private set; }
    public long AppendTicks { get; private set; }
    public long OffsetTicks { get; private set; }
    public long CommitTicks { get; private set; }

    public void Add(long prepare, long append, long offsets, long commit)
    {
        PrepareTicks += prepare;
        AppendTicks += append;
        OffsetTicks += offsets;
        CommitTicks += commit;
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"prepare {Seconds(PrepareTicks):F2} s, append {Seconds(AppendTicks):F2} s, offsets {Seconds(OffsetTicks):F2} s, commit {Seconds(CommitTicks):F2} s");

    internal static double Seconds(long ticks) => (double)ticks / Stopwatch.Frequency;
}
