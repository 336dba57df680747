using System.Collections.Concurrent;
using System.Diagnostics;
using System.IO.Compression;
using System.Security.Cryptography;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;

namespace LogAnalytics.Ingestion.Replay;

/// <summary>Progress of a replay, reported about every batch.</summary>
/// <param name="File">The file being replayed.</param>
/// <param name="BytesRead">Bytes of the file read so far (compressed bytes for .gz).</param>
/// <param name="TotalBytes">The file's size.</param>
/// <param name="Lines">Lines read.</param>
/// <param name="Stored">Event rows stored.</param>
/// <param name="Quarantined">Lines quarantined.</param>
/// <param name="Skipped">Lines skipped because an earlier replay stored them already.</param>
/// <param name="Elapsed">Time since the file started.</param>
public readonly record struct ReplayProgress(string File, long BytesRead, long TotalBytes, long Lines, long Stored, long Quarantined, long Skipped, TimeSpan Elapsed)
{
    /// <summary>Lines quarantined as <c>not_an_event</c> (prose, no JSON object at all): counted in
    /// <see cref="Quarantined"/> too. The rest of <see cref="Quarantined"/> are broken events.</summary>
    public long NotEvents { get; init; }

    /// <summary>Quarantined lines that looked like events but could not be stored (not JSON, missing fields...).</summary>
    public long BrokenEvents => Quarantined - NotEvents;

    /// <summary>Lines per second so far.</summary>
    public double LinesPerSecond => Elapsed.TotalSeconds > 0 ? Lines / Elapsed.TotalSeconds : 0;
}

/// <summary>
/// Backfills NDJSON (.ndjson, or gzip-compressed .ndjson.gz) files through the same decoder and quarantine as the
/// Kafka path. Idempotent: a file is identified by the SHA-256 of its content and each line's number is its offset,
/// stored with the rows in one transaction, so replaying a file again (or resuming after a crash) adds nothing twice.
/// Decoding runs in parallel with writing.
/// </summary>
public sealed class FileReplayer(DuckDbEventStore store, EventDecoder decoder, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Where the last <see cref="Replay"/> spent its time (for benchmarks and profiling).</summary>
    internal ReplayTimings LastTimings { get; private set; } = new();

    /// <summary>Lines per transaction. Default <see cref="DefaultBatchLines"/>.</summary>
    public int BatchLines { get; init; } = DefaultBatchLines;

    /// <summary>The default of <see cref="BatchLines"/>: 245,760, two of DuckDB's row groups (122,880 rows). A
    /// transaction that fills whole row groups has DuckDB compress them straight into the file while they are appended,
    /// so its commit writes next to nothing to the log and sets off no checkpoint; with 100,000 lines every commit wrote
    /// its rows to the log and a checkpoint compressed them again (README, Benchmarks: "Replay and backlog
    /// batches in whole row groups").</summary>
    public const int DefaultBatchLines = 2 * 122_880;

    /// <summary>Bytes of lines per transaction: a transaction ends at whichever of <see cref="BatchLines"/>, this and
    /// <see cref="BatchLongLineBytes"/> comes first. Default 128 MiB (room for <see cref="DefaultBatchLines"/> of the
    /// usual router event of about 400 bytes). Memory is bounded by the parts (<see cref="PartBytes"/>), not by this:
    /// a transaction's rows wait in DuckDB, under <see cref="DatabaseMemoryLimit"/>.</summary>
    public int BatchBytes { get; init; } = 128 << 20;

    /// <summary>Bytes of long lines (over 64 KiB) per transaction. Such lines are mostly quarantined, and a quarantined
    /// line's bytes (up to <c>Ingestion:MaxMessageBytes</c>) are kept with its row until the transaction commits.
    /// Default 32 MiB, the bound all lines had before <see cref="BatchBytes"/> was raised to 128 MiB: without it (and
    /// before transactions were written in parts) a file of 2 MB lines (the <c>hostile</c> benchmark) peaked at 1.26 GB
    /// of working set instead of under 1 GB.</summary>
    public int BatchLongLineBytes { get; init; } = 32 << 20;

    private const int LongLine = 64 << 10;

    /// <summary>Lines the reader decodes and hands to the writer at a time; a transaction of <see cref="BatchLines"/>
    /// is written in parts of this many lines (or of <see cref="PartBytes"/>, whichever comes first). Default 16,384.</summary>
    internal int PartLines { get; init; } = 16_384;

    /// <summary>Bytes of lines per part; default 8 MiB.</summary>
    internal int PartBytes { get; init; } = 8 << 20;

    /// <summary>Called on the writer's thread after each part is appended, with the count so far (for tests that stop
    /// a replay inside a transaction).</summary>
    internal Action<long>? PartAppended { get; init; }

    /// <summary>DuckDB's memory limit in MiB while replaying (its cache of written blocks), or null to leave the
    /// connection's setting alone. Default <see cref="DefaultDatabaseMemoryLimitMiB"/>.</summary>
    public int? DatabaseMemoryLimit { get; init; } = DefaultDatabaseMemoryLimitMiB;

    /// <summary>The default of <see cref="DatabaseMemoryLimit"/>: 256 MiB.</summary>
    public const int DefaultDatabaseMemoryLimitMiB = 256;

    /// <summary>Replays one file.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">A .gz file is not valid gzip.</exception>
    public ReplayProgress Replay(string path, IProgress<ReplayProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var info = new FileInfo(path);
        if (!info.Exists)
        {
            throw new FileNotFoundException($"replay file {path} does not exist", path);
        }
        if (DatabaseMemoryLimit is { } limit)
        {
            // DuckDB caches written blocks up to 80 % of the machine's memory by default; a file of huge lines (whose
            // quarantined bytes are kept) would make that cache, not the replay, the process's largest part.
            store.SetMemoryLimit(limit);
        }
        var source = "file:" + ContentHash(path);
        var alreadyStored = store.LoadOffsets(source).GetValueOrDefault(0, 0);
        var clockStart = Stopwatch.StartNew();
        var timings = LastTimings = new ReplayTimings();
        var state = new ReplayProgress(path, 0, info.Length, 0, 0, 0, 0, TimeSpan.Zero);

        // The reader hands the writer each transaction in parts of PartLines lines as it decodes them, so the writer starts
        // on the first part instead of waiting for a whole transaction to be decoded, and the last part of the file is
        // small: with whole 245,760-line blocks the writer waited about 2 s per file.
        using var parts = new BlockingCollection<ReplayPart>(boundedCapacity: 8);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        Exception? readerError = null;
        var reader = Task.Run(() =>
        {
            try
            {
                ReadParts(file, path, source, alreadyStored, parts, timings, stop.Token);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                // the writer failed or the caller cancelled: nothing more to hand over
            }
            catch (Exception ex)
            {
                readerError = ex;
            }
            finally
            {
                parts.CompleteAdding();
            }
        }, CancellationToken.None);

        DuckDbWriteTransaction? transaction = null;
        long notEvents = 0;
        try
        {
            var waited = Stopwatch.GetTimestamp();
            foreach (var part in parts.GetConsumingEnumerable(CancellationToken.None))
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    break; // stop at once: the transaction not yet committed rolls back, a rerun resumes after the last commit
                }
                var writing = Stopwatch.GetTimestamp();
                timings.WriterWaitTicks += writing - waited;
                notEvents += part.Batch.Quarantined.Count(q => q.Rejection.Reason == RejectionReasons.NotAnEvent);
                transaction ??= store.BeginWrite();
                transaction.Append(part.Batch);
                timings.PartsAppended++;
                PartAppended?.Invoke(timings.PartsAppended);
                if (part.EndsTransaction)
                {
                    transaction.Commit();
                    var written = transaction.Appended;
                    transaction.Dispose();
                    transaction = null;
                    var lastLine = part.Batch.NextOffsets.Values.DefaultIfEmpty(0).Max();
                    state = state with
                    {
                        BytesRead = SafePosition(file, info.Length),
                        Lines = lastLine,
                        Stored = state.Stored + written.Requests + written.Validations + written.Stages,
                        Quarantined = state.Quarantined + written.Quarantined,
                        NotEvents = state.NotEvents + notEvents,
                        Skipped = Math.Min(lastLine, alreadyStored),
                        Elapsed = clockStart.Elapsed,
                    };
                    notEvents = 0;
                    progress?.Report(state);
                }
                waited = Stopwatch.GetTimestamp();
                timings.WriteTicks += waited - writing;
            }
        }
        finally
        {
            stop.Cancel(); // the reader may be waiting to hand over a part (the writer failed or stopped early)
            transaction?.Dispose(); // a transaction not committed (cancelled, or the writer failed) rolls back
            reader.GetAwaiter().GetResult();
        }
        if (readerError is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(readerError).Throw();
        }
        cancellationToken.ThrowIfCancellationRequested();
        state = state with { BytesRead = info.Length, Elapsed = clockStart.Elapsed };
        progress?.Report(state);
        return state;
    }

    private static long SafePosition(FileStream file, long length)
    {
        try
        {
            return file.Position;
        }
        catch (ObjectDisposedException)
        {
            return length;
        }
    }

    private void ReadParts(FileStream file, string path, string source, long alreadyStored,
        BlockingCollection<ReplayPart> parts, ReplayTimings timings, CancellationToken cancellationToken)
    {
        Stream content = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true)
            : file;
        var lines = new LineReader(content);
        long lineNumber = 0;
        var block = new LineBlock(PartLines, 1 << 20);
        // What the current transaction holds so far (its parts already handed over and the block being filled).
        long transactionLines = 0, transactionBytes = 0, transactionLongLineBytes = 0;
        // Kubernetes CRI partial lines are joined to their final line before decoding; a transaction never ends inside
        // such a chain, so a stored transaction always ends at a chain's end and a resumed replay starts at a chain's start.
        var partials = new CriPartialLineJoiner(decoder.MaxMessageBytes);
        var released = new List<(SourcePosition Position, byte[] Raw)>();
        var readStarted = Stopwatch.GetTimestamp();
        while (!cancellationToken.IsCancellationRequested && lines.TryReadLine(out var line))
        {
            if (lineNumber >= alreadyStored)
            {
                var outcome = partials.Offer(new SourcePosition(source, 0, lineNumber), line, released, out var joined);
                AddReleased();
                if (outcome != JoinOutcome.Held)
                {
                    Add(lineNumber, outcome == JoinOutcome.Joined ? joined : line);
                }
            }
            lineNumber++;
            var endsTransaction = (transactionLines >= BatchLines || transactionBytes >= BatchBytes || transactionLongLineBytes >= BatchLongLineBytes)
                && !partials.HasPending;
            if (endsTransaction || block.Count >= PartLines || block.Bytes >= PartBytes)
            {
                Hand(Decode(source, block, lineNumber), endsTransaction);
                if (endsTransaction)
                {
                    transactionLines = transactionBytes = transactionLongLineBytes = 0;
                }
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        partials.ReleaseAll(released);
        AddReleased();
        if (block.Count > 0 || lineNumber > alreadyStored)
        {
            Hand(Decode(source, block, lineNumber), endsTransaction: true);
        }
        else if (lineNumber > 0)
        {
            // Nothing new: an empty batch that still records the end (no rows written).
            var done = new IngestBatch();
            done.Advance(new SourcePosition(source, 0, lineNumber - 1));
            parts.Add(new ReplayPart(done, EndsTransaction: true), cancellationToken);
        }

        void Add(long number, ReadOnlySpan<byte> bytes)
        {
            block.Add(number, bytes);
            transactionLines++;
            transactionBytes += bytes.Length;
            if (bytes.Length > LongLine)
            {
                transactionLongLineBytes += bytes.Length;
            }
        }

        void AddReleased()
        {
            foreach (var (position, raw) in released)
            {
                Add(position.Offset, raw);
            }
            released.Clear();
        }

        IngestBatch Decode(string source, LineBlock block, long nextLine)
        {
            var decodeStarted = Stopwatch.GetTimestamp();
            timings.ReadTicks += decodeStarted - readStarted;
            var batch = DecodeBlock(source, block, nextLine);
            // Decoding copied out everything the batch keeps (rows, and a rejected line's bytes), so the next part
            // reuses this one's buffers.
            block.Clear();
            timings.DecodeTicks += Stopwatch.GetTimestamp() - decodeStarted;
            return batch;
        }

        void Hand(IngestBatch batch, bool endsTransaction)
        {
            var handing = Stopwatch.GetTimestamp();
            parts.Add(new ReplayPart(batch, endsTransaction), cancellationToken);
            readStarted = Stopwatch.GetTimestamp();
            timings.ReaderWaitTicks += readStarted - handing;
        }
    }

    /// <summary>Decoded lines handed to the writer; the transaction they join commits after the part that ends it.</summary>
    private sealed record ReplayPart(IngestBatch Batch, bool EndsTransaction);

    private IngestBatch DecodeBlock(string source, LineBlock block, long nextLine)
    {
        var results = new DecodeResult[block.Count];
        var blank = new bool[block.Count];
        Parallel.For(0, block.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var line = block.Line(i);
            if (IsBlank(line))
            {
                blank[i] = true;
                return;
            }
            try
            {
                results[i] = decoder.Decode(line);
            }
            catch (Exception ex)
            {
                // As in the Kafka loop: a decoder bug quarantines the line instead of aborting the replay.
                results[i] = DecodeResult.Reject("decoder_error", ex.Message);
            }
        });
        var batch = new IngestBatch();
        var now = _clock.GetUtcNow();
        for (var i = 0; i < block.Count; i++)
        {
            var position = new SourcePosition(source, 0, block.LineNumber(i));
            if (blank[i])
            {
                batch.Advance(position); // a blank line is not an event: nothing to keep
                continue;
            }
            // Only a rejected line's bytes are copied out of the block, to keep them in quarantine.
            batch.Add(position, results[i], key: null, raw: results[i].IsAccepted ? null : decoder.KeptRaw(block.Line(i)), now);
        }
        if (nextLine > 0)
        {
            batch.Advance(new SourcePosition(source, 0, nextLine - 1));
        }
        return batch;
    }

    private static bool IsBlank(ReadOnlySpan<byte> line)
    {
        foreach (var b in line)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r'))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// The lines of one batch, stored back to back in one array rather than one array per line: a million
    /// small arrays alive at once cost the garbage collector more than decoding them.
    /// </summary>
    private sealed class LineBlock(int capacity, int initialBytes)
    {
        private long[] _numbers = new long[capacity];
        private int[] _starts = new int[capacity];
        private int[] _lengths = new int[capacity];
        private byte[] _data = GC.AllocateUninitializedArray<byte>(Math.Max(initialBytes, 1024));

        /// <summary>Lines held.</summary>
        public int Count { get; private set; }

        /// <summary>Bytes held.</summary>
        public int Bytes { get; private set; }

        public void Add(long lineNumber, ReadOnlySpan<byte> line)
        {
            if (Bytes + line.Length > _data.Length)
            {
                var grown = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(2L * _data.Length, (long)Bytes + line.Length)));
                _data.AsSpan(0, Bytes).CopyTo(grown);
                _data = grown;
            }
            line.CopyTo(_data.AsSpan(Bytes));
            if (Count == _numbers.Length)
            {
                // Only while a CRI partial chain keeps the block open past its line count.
                Array.Resize(ref _numbers, Count * 2);
                Array.Resize(ref _starts, Count * 2);
                Array.Resize(ref _lengths, Count * 2);
            }
            _numbers[Count] = lineNumber;
            _starts[Count] = Bytes;
            _lengths[Count] = line.Length;
            Bytes += line.Length;
            if (line.Length > LongLine)
            {
                LongLineBytes += line.Length;
            }
            Count++;
        }

        /// <summary>Bytes held in lines longer than 64 KiB.</summary>
        public int LongLineBytes { get; private set; }

        public ReadOnlySpan<byte> Line(int index) => _data.AsSpan(_starts[index], _lengths[index]);

        /// <summary>Empties the block, keeping its buffers for the next lines.</summary>
        public void Clear()
        {
            Count = 0;
            Bytes = 0;
            LongLineBytes = 0;
        }

        public long LineNumber(int index) => _numbers[index];
    }

    private static string ContentHash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var hash = SHA256.HashData(stream);
        return Convert.ToHexStringLower(hash, 0, 16);
    }

    /// <summary>Splits a stream into lines (LF, with an optional CR before it) without decoding text. A line is
    /// returned as a view of the reader's buffer, valid until the next call.</summary>
    private sealed class LineReader(Stream stream)
    {
        private byte[] _buffer = new byte[1 << 20];
        private int _start;
        private int _end;
        private bool _eof;
        private bool _started;

        public bool TryReadLine(out ReadOnlySpan<byte> line)
        {
            var scanned = 0;
            while (true)
            {
                var span = _buffer.AsSpan(_start, _end - _start);
                var newline = span[scanned..].IndexOf((byte)'\n');
                if (newline >= 0)
                {
                    newline += scanned;
                    var end = newline > 0 && span[newline - 1] == (byte)'\r' ? newline - 1 : newline;
                    line = span[..end];
                    _start += newline + 1;
                    return true;
                }
                if (_eof)
                {
                    line = span;
                    _start = _end;
                    return span.Length > 0;
                }
                scanned = span.Length;
                if (_start > 0)
                {
                    span.CopyTo(_buffer);
                    _end -= _start;
                    _start = 0;
                }
                else if (_end == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2); // a line longer than the buffer
                }
                var read = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0)
                {
                    _eof = true;
                }
                _end += read;
                if (!_started && (_end >= 3 || _eof))
                {
                    // Editors on Windows start UTF-8 files with a byte order mark; it is not part of the first event.
                    _started = true;
                    if (_buffer.AsSpan(0, _end).StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
                    {
                        _start = 3;
                        scanned = 0;
                    }
                }
            }
        }
    }
}

/// <summary>Time spent in the sections of one <see cref="FileReplayer.Replay"/> (Stopwatch ticks). The reader thread
/// reads and decodes while the caller's thread writes, so the two columns overlap in wall time.</summary>
internal sealed class ReplayTimings
{
    /// <summary>Parts the writer has appended to a transaction (written by the writer thread).</summary>
    public long PartsAppended { get; set; }

    /// <summary>Reader thread: splitting the file into lines.</summary>
    public long ReadTicks { get; set; }

    /// <summary>Reader thread: decoding a block (in parallel) and building its batch.</summary>
    public long DecodeTicks { get; set; }

    /// <summary>Reader thread: waiting for the writer to take a batch (the writer is the bottleneck).</summary>
    public long ReaderWaitTicks { get; set; }

    /// <summary>Writer thread: <see cref="DuckDbEventStore.Write"/>.</summary>
    public long WriteTicks { get; set; }

    /// <summary>Writer thread: waiting for the next batch (the reader is the bottleneck).</summary>
    public long WriterWaitTicks { get; set; }

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"reader: read {S(ReadTicks):F2} s, decode {S(DecodeTicks):F2} s, wait {S(ReaderWaitTicks):F2} s | writer: write {S(WriteTicks):F2} s, wait {S(WriterWaitTicks):F2} s");

    private static double S(long ticks) => (double)ticks / Stopwatch.Frequency;
}
