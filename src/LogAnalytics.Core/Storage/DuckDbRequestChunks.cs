using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Storage;

/// <summary>
/// <c>requests</c> rows written into DuckDB data chunks as soon as they are decoded, ahead of the transaction that
/// stores them: the Kafka pipeline's decode tasks fill one of these per chunk of consumed messages on the thread pool,
/// and the writer hands DuckDB their vectors by reference when the batch is stored
/// (<see cref="DuckDbWriteTransaction.AppendRequests"/>, an <c>INSERT ... SELECT</c> from <see cref="Scan"/>). The
/// rows live in DuckDB's memory, not on the .NET heap: a batch under a backlog holds a quarter of a million requests for up to two seconds, and as .NET objects each of
/// them survived two or three collections, which paused every thread of the worker, the consumer included (README,
/// Benchmarks: "Kafka requests decoded into DuckDB's chunks").
/// </summary>
/// <remarks>Filled by one thread, then handed over (through the decode task's result) and appended, retried or
/// disposed by the writer. <c>ingested_at</c> is written when the rows are stored: the transaction's time, as for
/// every other row. Chunks keep their rows after an insert, so a failed transaction can be retried with them.</remarks>
internal sealed unsafe class DuckDbRequestChunks : DuckDbChunkWriter, IDisposable
{
    private const int IngestedAtColumn = 3;

    // The column types of requests; created once for the process (a few bytes each) and never destroyed.
    private static readonly nint[] Types = DuckDbEventRows.RequestColumns.Select(t => DuckDbNative.CreateLogicalType((int)t)).ToArray();

    private readonly List<(nint Chunk, ulong Rows)> _full = new();
    private readonly Dictionary<(string Source, int Partition), (long First, long Last)> _offsets = new();
    private nint _current;

    // The partition of the rows added last and their offsets: a chunk of consumed messages holds long runs of one
    // partition, so _offsets is updated when the run ends, not for every row.
    private (string Source, int Partition) _runKey;
    private (long First, long Last) _run;
    private bool _inRun;

    /// <summary>An empty set of chunks, ready for the first row.</summary>
    public DuckDbRequestChunks()
        : base(Types.Length)
    {
        NewChunk();
    }

    /// <summary>The newest event time among the rows, or null when there is none.</summary>
    public DateTimeOffset? Newest { get; private set; }

    /// <summary>The lowest and highest offset of the rows per source partition.</summary>
    public IReadOnlyDictionary<(string Source, int Partition), (long First, long Last)> Offsets
    {
        get
        {
            EndRun();
            return _offsets;
        }
    }

    /// <summary>The smallest range holding both <paramref name="a"/> and <paramref name="b"/>.</summary>
    internal static (long First, long Last) Widen((long First, long Last) a, (long First, long Last) b) =>
        (Math.Min(a.First, b.First), Math.Max(a.Last, b.Last));

    /// <summary>Adds <paramref name="range"/> to <paramref name="ranges"/>' range for <paramref name="key"/>.</summary>
    internal static void Widen(Dictionary<(string Source, int Partition), (long First, long Last)> ranges,
        (string Source, int Partition) key, (long First, long Last) range) =>
        ranges[key] = ranges.TryGetValue(key, out var known) ? Widen(known, range) : range;

    /// <summary>Writes one request's row (its <c>ingested_at</c> is set when appended).</summary>
    public void Add(SourcePosition position, RequestEvent request)
    {
        ObjectDisposedException.ThrowIf(_current == 0, this);
        DuckDbEventRows.Request(this, position, request, default);
        var offset = (position.Offset, position.Offset);
        if (_inRun && _runKey.Partition == position.Partition && string.Equals(_runKey.Source, position.Source, StringComparison.Ordinal))
        {
            _run = Widen(_run, offset);
        }
        else
        {
            EndRun();
            (_runKey, _run, _inRun) = ((position.Source, position.Partition), offset, true);
        }
        if (Newest is not { } newest || request.Timestamp > newest)
        {
            Newest = request.Timestamp;
        }
    }

    private void EndRun()
    {
        if (_inRun)
        {
            Widen(_offsets, _runKey, _run);
            _inRun = false;
        }
    }

    /// <summary>The rows of <paramref name="sets"/> for
    /// <see cref="DuckDbRowSource.InsertInto(DuckDB.NET.Data.DuckDBConnection, string, IDuckDbChunkSource, int)"/>,
    /// with <c>ingested_at</c> = <paramref name="ingestedAt"/>: DuckDB takes each chunk's vectors by reference. The
    /// chunks keep their rows (a failed transaction is retried with them).</summary>
    internal static IDuckDbChunkSource Scan(IReadOnlyList<DuckDbRequestChunks> sets, DateTimeOffset ingestedAt)
    {
        var micros = MicrosSinceEpoch(ingestedAt);
        var chunks = new List<(nint Chunk, ulong Rows)>();
        foreach (var set in sets)
        {
            ObjectDisposedException.ThrowIf(set._current == 0, set);
            foreach (var (chunk, rows) in set._full)
            {
                chunks.Add(Stamp(chunk, rows, micros));
            }
            if (set.RowsInChunk > 0)
            {
                chunks.Add(Stamp(set._current, set.RowsInChunk, micros));
            }
        }
        return new ChunkScan(chunks);
    }

    private static (nint Chunk, ulong Rows) Stamp(nint chunk, ulong rows, long ingestedAt)
    {
        DuckDbNative.DataChunkSetSize(chunk, rows);
        var column = (long*)DuckDbNative.VectorGetData(DuckDbNative.DataChunkGetVector(chunk, IngestedAtColumn));
        new Span<long>(column, checked((int)rows)).Fill(ingestedAt);
        return (chunk, rows);
    }

    private sealed class ChunkScan(List<(nint Chunk, ulong Rows)> chunks) : IDuckDbChunkSource
    {
        private int _next = -1;

        public IReadOnlyList<DuckDB.NET.Native.DuckDBType> Columns => DuckDbEventRows.RequestColumns;

        public ulong Next(nint output)
        {
            var i = Interlocked.Increment(ref _next);
            if (i >= chunks.Count)
            {
                return 0;
            }
            var (chunk, rows) = chunks[i];
            for (var column = 0; column < Types.Length; column++)
            {
                DuckDbNative.VectorReferenceVector(
                    DuckDbNative.DataChunkGetVector(output, (ulong)column), DuckDbNative.DataChunkGetVector(chunk, (ulong)column));
            }
            return rows;
        }
    }

    /// <inheritdoc />
    protected override void ChunkFull()
    {
        _full.Add((_current, RowsInChunk));
        NewChunk();
    }

    private void NewChunk()
    {
        fixed (nint* types = Types)
        {
            _current = DuckDbNative.CreateDataChunk(types, (ulong)Types.Length);
        }
        if (_current == 0)
        {
            throw new InvalidOperationException("DuckDB could not create a data chunk for requests (out of memory?)");
        }
        Load(_current);
    }

    /// <summary>Releases the chunks.</summary>
    public void Dispose()
    {
        Free();
        GC.SuppressFinalize(this);
    }

    ~DuckDbRequestChunks() => Free();

    private void Free()
    {
        foreach (var (chunk, _) in _full)
        {
            var c = chunk;
            DuckDbNative.DestroyDataChunk(ref c);
        }
        _full.Clear();
        if (_current != 0)
        {
            DuckDbNative.DestroyDataChunk(ref _current);
            _current = 0;
        }
    }
}
