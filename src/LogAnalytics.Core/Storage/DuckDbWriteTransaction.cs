using System.Diagnostics;
using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Storage;

/// <summary>
/// One transaction of <see cref="DuckDbEventStore"/> that stores one or more batches, then their next offsets, and
/// commits: the rows of every batch and the offsets they cover become visible together or not at all. Each table's
/// appender stays open across the batches, so a replay can hand the writer a transaction's lines in parts as they are
/// decoded instead of one block at the end (README, Benchmarks: "Replay in parts of a transaction, and the JIT
/// settings").
/// </summary>
/// <remarks>Not thread-safe. Disposing without <see cref="Commit"/> rolls everything back.</remarks>
public sealed class DuckDbWriteTransaction : IDisposable
{
    private readonly DuckDbEventStore _store;
    private readonly DuckDBConnection _connection;
    private readonly DuckDBTransaction _transaction;
    private readonly Dictionary<string, Dictionary<int, long>> _offsetCache;
    private readonly DateTimeOffset _now;
    private readonly Dictionary<(string Source, int Partition), long> _stored = new(); // as committed before this transaction
    private readonly Dictionary<(string Source, int Partition), long> _next = new();
    private readonly HashSet<string> _loadedSources = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Source, int Partition), (long First, long Last)> _leaveOut = new();
    private DuckDbChunkAppender? _requests, _validations, _stages, _quarantine;
    private long _prepareTicks, _appendTicks;
    private bool _done;
    private bool _failed;

    internal DuckDbWriteTransaction(DuckDbEventStore store, DuckDBConnection connection, Dictionary<string, Dictionary<int, long>> offsetCache)
    {
        _store = store;
        _connection = connection;
        _offsetCache = offsetCache;
        _now = DateTimeOffset.UtcNow;
        var started = Stopwatch.GetTimestamp();
        DuckDbRowSource.EnsureRegistered(connection); // outside the transaction, which might roll back
        _transaction = connection.BeginTransaction();
        _prepareTicks = Stopwatch.GetTimestamp() - started;
    }

    /// <summary>Rows appended so far, per kind (after skipping what was already stored).</summary>
    public BatchWriteResult Appended { get; private set; }

    /// <summary>Appends a batch's rows; rows at offsets below what was stored for their partition before this
    /// transaction are skipped. Its next offsets are written at <see cref="Commit"/>.</summary>
    /// <returns>The rows of this batch appended, per kind.</returns>
    public BatchWriteResult Append(IngestBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        ThrowIfUnusable();
        try
        {
            return AppendRows(batch);
        }
        catch
        {
            _failed = true; // the transaction cannot commit now
            _offsetCache.Clear(); // read the offsets from the file again
            throw;
        }
    }

    private BatchWriteResult AppendRows(IngestBatch batch)
    {
        var started = Stopwatch.GetTimestamp();
        LoadStoredOffsets(batch.NextOffsets.Keys);
        var appendStarted = Stopwatch.GetTimestamp();
        _prepareTicks += appendStarted - started;
        int requests = 0, validations = 0, stages = 0, quarantined = 0;
        foreach (var (position, evt) in batch.Events)
        {
            if (!IsNew(position))
            {
                continue;
            }
            switch (evt)
            {
                case RequestEvent r:
                    DuckDbEventRows.Request(_requests ??= Open("requests", DuckDbEventRows.RequestColumns), position, r, _now);
                    requests++;
                    break;
                case ValidationEvent v:
                    DuckDbEventRows.Validation(_validations ??= Open("validations", DuckDbEventRows.ValidationColumns), position, v, _now);
                    validations++;
                    break;
                case StageEvent s:
                    DuckDbEventRows.Stage(_stages ??= Open("stages", DuckDbEventRows.StageColumns), position, s, _now);
                    stages++;
                    break;
            }
        }
        foreach (var q in batch.Quarantined)
        {
            if (IsNew(q.Position))
            {
                DuckDbEventRows.Quarantine(_quarantine ??= Open("quarantine", DuckDbEventRows.QuarantineColumns), q);
                quarantined++;
            }
        }
        foreach (var (key, next) in batch.NextOffsets)
        {
            if (!_next.TryGetValue(key, out var known) || next > known)
            {
                _next[key] = next;
            }
        }
        _appendTicks += Stopwatch.GetTimestamp() - appendStarted;
        var result = new BatchWriteResult(requests, validations, stages, quarantined);
        Appended = new BatchWriteResult(Appended.Requests + requests, Appended.Validations + validations,
            Appended.Stages + stages, Appended.Quarantined + quarantined);
        return result;
    }

    /// <summary>Appends requests decoded ahead into DuckDB's chunks (<see cref="DuckDbRequestChunks"/>). Their rows
    /// are not checked one by one against the stored offsets as <see cref="Append"/>'s are: chunks whose rows start
    /// below their partition's stored offset are refused (the Kafka pipeline decodes such messages again as objects,
    /// which are skipped one by one). Rows in <paramref name="leaveOut"/>'s offset ranges (partitions lost to another
    /// consumer after they were decoded; no other row of this transaction may lie there) are deleted again in this
    /// transaction before it commits.</summary>
    /// <returns>The rows appended (those to be left out included).</returns>
    internal BatchWriteResult AppendRequests(IReadOnlyList<DuckDbRequestChunks> chunks,
        IReadOnlyDictionary<(string Source, int Partition), (long First, long Last)> leaveOut)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        ArgumentNullException.ThrowIfNull(leaveOut);
        ThrowIfUnusable();
        try
        {
            var started = Stopwatch.GetTimestamp();
            LoadStoredOffsets(chunks.SelectMany(c => c.Offsets.Keys));
            var appendStarted = Stopwatch.GetTimestamp();
            _prepareTicks += appendStarted - started;
            long requests = 0;
            foreach (var chunk in chunks)
            {
                foreach (var (key, (first, _)) in chunk.Offsets)
                {
                    if (!leaveOut.ContainsKey(key) && _stored.TryGetValue(key, out var next) && first < next)
                    {
                        throw new InvalidOperationException(
                            $"Requests decoded ahead start at offset {first} of {key.Source} [{key.Partition}], below its stored next offset {next}; they would be stored twice (a bug in the pipeline, which must decode such messages again)");
                    }
                }
                requests += chunk.Rows;
            }
            if (requests > 0)
            {
                // One INSERT ... SELECT that takes the chunks' vectors by reference: an appender would copy every row,
                // strings included, into a collection of its own before inserting it (README, Benchmarks).
                var inserted = DuckDbRowSource.InsertInto(_connection, "requests", DuckDbRequestChunks.Scan(chunks, _now), threads: 1);
                if (inserted != requests)
                {
                    throw new InvalidOperationException($"DuckDB inserted {inserted} of {requests} decoded requests");
                }
            }
            foreach (var (key, range) in leaveOut)
            {
                DuckDbRequestChunks.Widen(_leaveOut, key, range);
            }
            _appendTicks += Stopwatch.GetTimestamp() - appendStarted;
            var result = new BatchWriteResult(checked((int)requests), 0, 0, 0);
            Appended = Appended with { Requests = Appended.Requests + result.Requests };
            return result;
        }
        catch
        {
            _failed = true;
            _offsetCache.Clear();
            throw;
        }
    }

    /// <summary>When the rows of this transaction are stored (their <c>ingested_at</c>).</summary>
    internal DateTimeOffset Now => _now;

    /// <summary>Inserts <c>requests</c> rows that <paramref name="producer"/> writes on up to
    /// <paramref name="threads"/> of DuckDB's threads (<see cref="DuckDbRowSource"/>). Unlike <see cref="Append"/>,
    /// nothing is skipped: the producer writes only rows past the stored offsets, and the batch appended with them
    /// carries their next offsets.</summary>
    /// <returns>The rows inserted.</returns>
    internal long InsertRequests(IDuckDbRowProducer producer, int threads)
    {
        ThrowIfUnusable();
        var started = Stopwatch.GetTimestamp();
        try
        {
            var inserted = DuckDbRowSource.InsertInto(_connection, "requests", producer, threads);
            Appended = Appended with { Requests = Appended.Requests + (int)inserted };
            return inserted;
        }
        catch
        {
            _failed = true;
            _offsetCache.Clear();
            throw;
        }
        finally
        {
            _appendTicks += Stopwatch.GetTimestamp() - started;
        }
    }

    /// <summary>Closes the appenders (constraint violations surface here), writes the next offsets that moved forward
    /// and commits.</summary>
    public void Commit()
    {
        ThrowIfUnusable();
        try
        {
            var closeStarted = Stopwatch.GetTimestamp();
            foreach (var appender in new[] { _requests, _validations, _stages, _quarantine })
            {
                appender?.Close();
            }
            var left = DeleteLeftOut();
            var appended = Stopwatch.GetTimestamp();
            _appendTicks += appended - closeStarted;
            Appended = Appended with { Requests = Appended.Requests - left };
            DuckDbEventStore.UpsertOffsets(_connection, _next, _stored, _now);
            var commitStarted = Stopwatch.GetTimestamp();
            _transaction.Commit();
            _done = true;
            var committed = Stopwatch.GetTimestamp();
            foreach (var ((source, partition), next) in _next)
            {
                var known = _offsetCache[source];
                if (!known.TryGetValue(partition, out var old) || next > old)
                {
                    known[partition] = next;
                }
            }
            _store.Timings.Add(_prepareTicks, _appendTicks, commitStarted - appended, committed - commitStarted);
        }
        catch
        {
            _failed = true;
            _offsetCache.Clear();
            throw;
        }
    }

    /// <summary>Deletes the rows of this transaction that <see cref="AppendRequests"/> was told to leave out: the
    /// offsets of their partitions that this transaction appended (rows stored before lie below them).</summary>
    private int DeleteLeftOut()
    {
        var deleted = 0;
        foreach (var ((source, partition), (first, last)) in _leaveOut)
        {
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "DELETE FROM requests WHERE source = $1 AND source_partition = $2 AND source_offset BETWEEN $3 AND $4";
            cmd.Parameters.Add(new DuckDBParameter(source));
            cmd.Parameters.Add(new DuckDBParameter(partition));
            cmd.Parameters.Add(new DuckDBParameter(first));
            cmd.Parameters.Add(new DuckDBParameter(last));
            deleted += cmd.ExecuteNonQuery();
        }
        return deleted;
    }

    private void ThrowIfUnusable()
    {
        ObjectDisposedException.ThrowIf(_done, this);
        if (_failed)
        {
            throw new InvalidOperationException("An earlier write of this transaction failed; dispose it (which rolls it back) and start a new one.");
        }
    }

    private bool IsNew(SourcePosition p) => !_stored.TryGetValue((p.Source, p.Partition), out var next) || p.Offset >= next;

    private DuckDbChunkAppender Open(string table, IReadOnlyList<DuckDB.NET.Native.DuckDBType> columns) =>
        DuckDbChunkAppender.Open(_connection, table, columns);

    private void LoadStoredOffsets(IEnumerable<(string Source, int Partition)> partitions)
    {
        foreach (var (source, _) in partitions)
        {
            if (!_loadedSources.Add(source))
            {
                continue;
            }
            if (!_offsetCache.TryGetValue(source, out var known))
            {
                _store.LoadOffsets(source);
                known = _offsetCache[source];
            }
            foreach (var (partition, next) in known)
            {
                _stored[(source, partition)] = next;
            }
        }
    }

    /// <summary>Rolls back unless committed, and releases the appenders.</summary>
    public void Dispose()
    {
        foreach (var appender in new[] { _requests, _validations, _stages, _quarantine })
        {
            appender?.Dispose();
        }
        _done = true; // the store's remembered offsets need no reset: they move only on a commit
        _transaction.Dispose();
    }
}
