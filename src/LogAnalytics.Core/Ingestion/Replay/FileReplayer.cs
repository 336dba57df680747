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
/// The reader splits the file into lines while DuckDB's own threads decode them and store the requests through its
/// parallel insert (<see cref="DuckDbRowSource"/>).
/// </summary>
public sealed class FileReplayer(DuckDbEventStore store, EventDecoder decoder, TimeProvider? clock = null)
{
    private readonly TimeProvider _clock = clock ?? TimeProvider.System;

    /// <summary>Where the last <see cref="Replay"/> spent its time (for benchmarks and profiling).</summary>
    internal ReplayTimings LastTimings { get; private set; } = new();

    /// <summary>Lines per transaction. Default <see cref="DefaultBatchLines"/>.</summary>
    public int BatchLines { get; init; } = DefaultBatchLines;

    /// <summary>The default of <see cref="BatchLines"/>: 983,040, eight of DuckDB's row groups (122,880 rows).
    /// Transactions are stored by DuckDB's parallel insert, where each of its threads compresses whole row groups
    /// straight into the file only if it was handed at least one row group's worth of rows (fewer are copied into the
    /// transaction's own storage and compressed again at the commit or a checkpoint); eight row groups give each of
    /// two threads several, and fewer, larger transactions cost less per row (README, Benchmarks: "Replay through
    /// DuckDB's own parallel insert").</summary>
    public const int DefaultBatchLines = 8 * 122_880;

    /// <summary>Bytes of lines per transaction: a transaction ends at whichever of <see cref="BatchLines"/>, this and
    /// <see cref="BatchLongLineBytes"/> comes first. Default 512 MiB (room for <see cref="DefaultBatchLines"/> of the
    /// usual router event of about 400 bytes). Memory is bounded by the parts (<see cref="PartBytes"/>), not by this:
    /// a transaction's requests go to DuckDB as they are decoded, under <see cref="DatabaseMemoryLimit"/>.</summary>
    public int BatchBytes { get; init; } = 512 << 20;

    /// <summary>Bytes of long lines (over 64 KiB) per transaction, and bytes of quarantined lines per transaction:
    /// a quarantined line's bytes (up to <c>Ingestion:MaxMessageBytes</c>) are kept with its row until the
    /// transaction commits. Default 32 MiB: without such a bound a file of 2 MB lines (the <c>hostile</c> benchmark)
    /// peaked at 1.26 GB of working set instead of under 1 GB. The reader learns of quarantined bytes only once a part
    /// is decoded, so a transaction may overshoot by the parts in flight (at most six of <see cref="PartBytes"/>).</summary>
    public int BatchLongLineBytes { get; init; } = 32 << 20;

    /// <summary>Decoded rows other than requests (validations, stages, quarantine) per transaction: they are kept
    /// until the requests are inserted, then appended in the same transaction. A transaction ends once it holds
    /// this many (with the overshoot of the parts in flight). Default 65,536.</summary>
    internal int BatchOtherRows { get; init; } = 65_536;

    private const int LongLine = 64 << 10;

    /// <summary>Lines the reader hands over at a time; one of DuckDB's threads decodes and stores such a part, and a
    /// transaction of <see cref="BatchLines"/> is made of parts of this many lines (or of <see cref="PartBytes"/>,
    /// whichever comes first). Default 16,384.</summary>
    internal int PartLines { get; init; } = 16_384;

    /// <summary>Bytes of lines per part; default 8 MiB.</summary>
    internal int PartBytes { get; init; } = 8 << 20;

    /// <summary>Called on the DuckDB thread that decoded a part, before its requests are stored, with the count of
    /// parts so far (for tests that stop a replay inside a transaction).</summary>
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

        // The reader splits the file into transactions and each transaction into parts of PartLines lines. The writer
        // stores a transaction with one INSERT INTO requests SELECT * FROM loganalytics_rows(...): DuckDB's own threads
        // take its parts as the reader hands them over, decode them and fill DuckDB's chunks with the requests, so
        // decoding and DuckDB's storage work (statistics, compression) run on every core, as in read_json. The other
        // rows (validations, stages, quarantine) and the offsets join the same transaction after the insert.
        using var insertionOrder = DuckDbRowSource.InsertionOrder(store.Connection); // else DuckDB inserts on one thread
        using var feeds = new BlockingCollection<TransactionFeed>(boundedCapacity: 1);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        var blocks = new ConcurrentBag<LineBlock>();
        Exception? readerError = null;
        TransactionFeed? reading = null;
        var reader = Task.Run(() =>
        {
            try
            {
                ReadTransactions(file, path, source, alreadyStored, feeds, blocks, timings, f => reading = f, stop.Token);
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
                reading?.Parts.CompleteAdding(); // a transaction cut short by an error or a stop: its insert ends, then fails below
                feeds.CompleteAdding();
            }
        }, CancellationToken.None);

        try
        {
            var waited = Stopwatch.GetTimestamp();
            foreach (var feed in feeds.GetConsumingEnumerable(CancellationToken.None))
            {
                if (stop.IsCancellationRequested)
                {
                    break; // stop at once: a rerun resumes after the last commit
                }
                var writing = Stopwatch.GetTimestamp();
                timings.WriterWaitTicks += writing - waited;
                using (var transaction = store.BeginWrite())
                {
                    var rows = new RequestRows(decoder, PartAppended, feed, source, transaction.Now, timings, blocks, stop.Token);
                    transaction.InsertRequests(rows, Math.Max(1, Environment.ProcessorCount));
                    if (!feed.Complete || stop.IsCancellationRequested)
                    {
                        break; // the reader stopped inside this transaction: it rolls back
                    }
                    var rest = feed.RestBatch(source, _clock.GetUtcNow());
                    transaction.Append(rest);
                    transaction.Commit();
                    var written = transaction.Appended;
                    var notEvents = rest.Quarantined.Count(q => q.Rejection.Reason == RejectionReasons.NotAnEvent);
                    state = state with
                    {
                        BytesRead = SafePosition(file, info.Length),
                        Lines = feed.NextLine,
                        Stored = state.Stored + written.Requests + written.Validations + written.Stages,
                        Quarantined = state.Quarantined + written.Quarantined,
                        NotEvents = state.NotEvents + notEvents,
                        Skipped = Math.Min(feed.NextLine, alreadyStored),
                        Elapsed = clockStart.Elapsed,
                    };
                }
                progress?.Report(state);
                waited = Stopwatch.GetTimestamp();
                timings.WriteTicks += waited - writing;
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // the insert was stopped inside a transaction, which rolled back
        }
        finally
        {
            stop.Cancel(); // the reader may be waiting to hand over a part (the writer failed or stopped early)
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

    private void ReadTransactions(FileStream file, string path, string source, long alreadyStored,
        BlockingCollection<TransactionFeed> feeds, ConcurrentBag<LineBlock> blocks, ReplayTimings timings,
        Action<TransactionFeed?> reading, CancellationToken cancellationToken)
    {
        Stream content = path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true)
            : file;
        var lines = new LineReader(content);
        long lineNumber = 0;
        TransactionFeed? feed = null;
        var block = NewBlock();
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
            var endsTransaction = (transactionLines >= BatchLines || transactionBytes >= BatchBytes || transactionLongLineBytes >= BatchLongLineBytes
                    || (feed is not null && (feed.RestBytes >= BatchLongLineBytes || feed.RestRows >= BatchOtherRows)))
                && !partials.HasPending;
            if (block.Count >= PartLines || block.Bytes >= PartBytes || (endsTransaction && block.Count > 0))
            {
                Hand();
            }
            if (endsTransaction)
            {
                End(lineNumber);
                transactionLines = transactionBytes = transactionLongLineBytes = 0;
            }
        }
        cancellationToken.ThrowIfCancellationRequested();
        partials.ReleaseAll(released);
        AddReleased();
        if (block.Count > 0)
        {
            Hand();
        }
        if (feed is not null || lineNumber > 0)
        {
            // The last transaction; with nothing new, an empty one that still records the end (no rows written).
            End(lineNumber);
        }

        LineBlock NewBlock() => blocks.TryTake(out var reused) ? reused : new LineBlock(PartLines, PartBytes + (64 << 10));

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

        TransactionFeed Feed()
        {
            if (feed is null)
            {
                feed = new TransactionFeed();
                reading(feed);
                feeds.Add(feed, cancellationToken);
            }
            return feed;
        }

        void Hand()
        {
            var handing = Stopwatch.GetTimestamp();
            timings.ReadTicks += handing - readStarted;
            Feed().Parts.Add(block, cancellationToken);
            block = NewBlock();
            readStarted = Stopwatch.GetTimestamp();
            timings.ReaderWaitTicks += readStarted - handing;
        }

        void End(long nextLine)
        {
            var ending = Feed();
            ending.NextLine = nextLine;
            ending.Complete = true;
            ending.Parts.CompleteAdding();
            reading(null);
            feed = null;
        }
    }

    /// <summary>One transaction's lines as the reader hands them over in parts; the decoded rows that are not
    /// requests wait here for the writer.</summary>
    private sealed class TransactionFeed
    {
        /// <summary>Parts waiting to be decoded (at most four).</summary>
        public BlockingCollection<LineBlock> Parts { get; } = new(boundedCapacity: 4);

        /// <summary>Decoded lines that are not requests (and rejected lines, with their bytes).</summary>
        public ConcurrentQueue<(long Line, DecodeResult Result, byte[]? Raw)> Rest { get; } = new();

        /// <summary>Bytes of quarantined lines in <see cref="Rest"/>.</summary>
        public long RestBytes => Volatile.Read(ref _restBytes);

        /// <summary>Rows in <see cref="Rest"/>: a counter, because the reader asks after every line and a concurrent
        /// queue counts its segments on every call.</summary>
        public long RestRows => Volatile.Read(ref _restRows);

        private long _restBytes;
        private long _restRows;

        public void Keep(long line, DecodeResult result, byte[]? raw)
        {
            Rest.Enqueue((line, result, raw));
            Interlocked.Increment(ref _restRows);
            if (raw is not null)
            {
                Interlocked.Add(ref _restBytes, raw.Length);
            }
        }

        /// <summary>The line after the transaction's last (set before <see cref="Complete"/>).</summary>
        public long NextLine { get; set; }

        /// <summary>Whether the reader handed over the whole transaction (not cut short by a stop or an error).</summary>
        public volatile bool Complete;

        /// <summary>The kept rows in line order, and the transaction's end as the file's next offset.</summary>
        public IngestBatch RestBatch(string source, DateTimeOffset now)
        {
            var batch = new IngestBatch();
            foreach (var (line, result, raw) in Rest.OrderBy(r => r.Line))
            {
                batch.Add(new SourcePosition(source, 0, line), result, key: null, raw: raw, now);
            }
            if (NextLine > 0)
            {
                batch.Advance(new SourcePosition(source, 0, NextLine - 1));
            }
            return batch;
        }
    }

    /// <summary>The requests of one transaction, decoded and written into DuckDB's chunks on DuckDB's threads.</summary>
    private sealed class RequestRows(EventDecoder decoder, Action<long>? partDecoded, TransactionFeed feed, string source, DateTimeOffset now,
        ReplayTimings timings, ConcurrentBag<LineBlock> blocks, CancellationToken cancellationToken) : IDuckDbRowProducer
    {
        public object CreateThreadState() => new Decoding();

        public void Fill(object threadState, DuckDbChunkWriter writer)
        {
            // Each request is written into DuckDB's chunk as soon as it is decoded: the event is garbage before the
            // next line (nothing decoded waits for a part to end, or survives a collection) and still in the cache
            // when its row is written. A full chunk returns; the part goes on at the next call on this thread.
            var decoding = (Decoding)threadState;
            while (!writer.IsFull)
            {
                if (decoding.Block is not { } block)
                {
                    // TryTake hands over a waiting part without looking at the token: a stopped replay decodes no more.
                    cancellationToken.ThrowIfCancellationRequested();
                    if (!feed.Parts.TryTake(out block, Timeout.Infinite, cancellationToken))
                    {
                        return; // the transaction's last part was taken
                    }
                    decoding.Block = block;
                    decoding.Next = 0;
                }
                var started = Stopwatch.GetTimestamp();
                while (decoding.Next < block.Count && !writer.IsFull)
                {
                    DecodeLine(block, decoding.Next++, writer);
                }
                timings.AddDecode(Stopwatch.GetTimestamp() - started);
                if (decoding.Next == block.Count)
                {
                    decoding.Block = null;
                    block.Clear();
                    blocks.Add(block);
                    partDecoded?.Invoke(timings.AddPart());
                }
            }
        }

        private void DecodeLine(LineBlock block, int index, DuckDbChunkWriter writer)
        {
            var line = block.Line(index);
            if (IsBlank(line))
            {
                return; // a blank line is not an event: nothing to keep
            }
            DecodeResult result;
            try
            {
                result = decoder.Decode(line);
            }
            catch (Exception ex)
            {
                // As in the Kafka loop: a decoder bug quarantines the line instead of aborting the replay.
                result = DecodeResult.Reject("decoder_error", ex.Message);
            }
            if (result.IsAccepted && result.Event is RequestEvent request)
            {
                DuckDbEventRows.Request(writer, new SourcePosition(source, 0, block.LineNumber(index)), request, now);
            }
            else
            {
                // Only a rejected line's bytes are copied out of the block, to keep them in quarantine.
                feed.Keep(block.LineNumber(index), result, result.IsAccepted ? null : decoder.KeptRaw(line));
            }
        }
    }

    /// <summary>A DuckDB thread's part being decoded, and the next line of it.</summary>
    private sealed class Decoding
    {
        public LineBlock? Block { get; set; }

        public int Next { get; set; }
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
/// reads lines while DuckDB's threads decode them and store the rows of the writer's insert, so the columns overlap
/// in wall time.</summary>
internal sealed class ReplayTimings
{
    private long _partsAppended;
    private long _decodeTicks;

    /// <summary>Parts decoded into a transaction (on DuckDB's threads).</summary>
    public long PartsAppended => Volatile.Read(ref _partsAppended);

    /// <summary>Reader thread: splitting the file into lines and parts.</summary>
    public long ReadTicks { get; set; }

    /// <summary>DuckDB's threads: decoding parts and writing their requests into DuckDB's chunks, added up over the
    /// threads.</summary>
    public long DecodeTicks => Volatile.Read(ref _decodeTicks);

    /// <summary>Reader thread: waiting for a part to be taken (decoding and storing are the bottleneck).</summary>
    public long ReaderWaitTicks { get; set; }

    /// <summary>Writer thread: a transaction, from its insert to its commit.</summary>
    public long WriteTicks { get; set; }

    /// <summary>Writer thread: waiting for the reader to start the next transaction.</summary>
    public long WriterWaitTicks { get; set; }

    /// <summary>Counts a decoded part; returns the count so far.</summary>
    public long AddPart() => Interlocked.Increment(ref _partsAppended);

    /// <summary>Adds time spent decoding lines and writing their rows.</summary>
    public void AddDecode(long ticks) => Interlocked.Add(ref _decodeTicks, ticks);

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"reader: read {S(ReadTicks):F2} s, wait {S(ReaderWaitTicks):F2} s | DuckDB's threads: decode and fill chunks {S(DecodeTicks):F2} s | writer: transactions {S(WriteTicks):F2} s, wait {S(WriterWaitTicks):F2} s");

    private static double S(long ticks) => (double)ticks / Stopwatch.Frequency;
}
