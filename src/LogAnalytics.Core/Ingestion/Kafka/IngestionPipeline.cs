using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>
/// The stages behind the consume loop: chunks of consumed messages are decoded on the thread pool (several chunks at
/// once, so decoding uses every core), then a single writer thread takes them in consume order, assembles batches and
/// writes each batch with its offsets in one DuckDB transaction. The consumer hands chunks over through a bounded
/// queue (back-pressure: at most <see cref="Capacity"/> chunks in flight) and goes on polling while a batch is written.
/// <para>
/// Every use of the database happens on the writer thread, in order with the chunks: rebalance handlers on the
/// consumer thread post a control step (store everything received so far, drop a lost partition's messages, load the
/// stored offsets of newly assigned partitions) and wait for it, so a partition is never given up with a batch in
/// flight and a partition is never resumed from an offset that a batch still being written would change.
/// </para>
/// </summary>
internal sealed class IngestionPipeline : IDisposable
{
    private static readonly TimeSpan DeadLetterTimeout = TimeSpan.FromSeconds(10);

    private readonly DuckDbEventStore _store;
    private readonly EventDecoder _decoder;
    private readonly DeadLetterPublisher _deadLetters;
    private readonly IngestionStatistics _statistics;
    private readonly TimeProvider _clock;
    private readonly ILogger _log;
    private readonly string _deadLetterTopic;
    private readonly int _batchMaxEvents;
    private readonly TimeSpan _batchMaxDelay;
    private readonly Action? _idle;
    private readonly BlockingCollection<Step> _queue;
    private readonly ConcurrentQueue<Step> _pending = new(); // the queue's storage, peeked by the writer
    private bool _lastChunkFull; // writer thread only
    private long _lastChunkAt; // writer thread only

    // The bound on queued chunks (count and message bytes), kept beside the queue: control steps are never bounded.
    private readonly object _room = new();
    private int _queuedChunks;
    private long _queuedBytes;
    private readonly Thread _thread;

    // Writer thread only.
    private readonly IngestBatch _batch = new();
    private readonly List<DuckDbRequestChunks> _requests = new(); // the batch's requests, in DuckDB's chunks
    private long _requestRows;
    // Offsets of partitions lost after their requests joined _requests: deleted again in the transaction that stores
    // the batch, which is written at once (before any later chunk of the same partition could join it).
    private readonly Dictionary<(string, int), (long First, long Last)> _leaveOut = new();
    private long _batchBytes; // message bytes in _batch, so that a batch of huge events stays bounded in memory
    private readonly Dictionary<(string, int), long> _stored = new();
    private readonly Stopwatch _batchAge = new();
    private IConsumer<byte[]?, byte[]?>? _consumer;

    // Partitions whose queued messages must not be stored (lost to another consumer); set by the consumer thread at
    // once, cleared by the writer when it reaches the matching control step.
    private readonly ConcurrentDictionary<(string, int), byte> _dropping = new();
    private volatile Exception? _failure;
    private readonly PipelineTimings _timings;

    public IngestionPipeline(DuckDbEventStore store, EventDecoder decoder, DeadLetterPublisher deadLetters, IngestionStatistics statistics,
        TimeProvider clock, ILogger log, string deadLetterTopic, int batchMaxEvents, TimeSpan batchMaxDelay, Action? idle = null)
    {
        _store = store;
        _decoder = decoder;
        _deadLetters = deadLetters;
        _statistics = statistics;
        _clock = clock;
        _log = log;
        _deadLetterTopic = deadLetterTopic;
        _batchMaxEvents = batchMaxEvents;
        _batchMaxDelay = batchMaxDelay;
        _idle = idle;
        _timings = statistics.Pipeline;
        ChunkSize = Math.Clamp(batchMaxEvents, 1, (int)DuckDbChunkWriter.Capacity); // 2,048
        Capacity = Math.Clamp(Math.Max(2 * (int)Math.Ceiling(batchMaxEvents / (double)ChunkSize), MinCapacity), 4, 256);
        _queue = new BlockingCollection<Step>(_pending);
        _thread = new Thread(WriterLoop) { IsBackground = true, Name = "loganalytics-writer" };
    }

    /// <summary>The lake shared by the workers of the consumer group (<c>Storage:LakeShared</c>), or null. When set, a
    /// newly assigned partition resumes from the later of this worker's stored offset and the lake's durable offset
    /// (recovered from the lake's marker names; the previous owner's rows up to there are in the lake), and from the
    /// beginning when neither exists: never from Kafka's committed offset, which is advisory and may be ahead of the
    /// lake (the previous owner stored rows in its own file, then died before flushing them to the lake).</summary>
    public string? SharedLakePath { get; init; }

    /// <summary>How large a batch may grow while decoded chunks are already waiting behind it (the consumer is ahead of
    /// the writer): DuckDB stores a row for about half the CPU in a transaction of 100,000 rows as in one of 5,000, so
    /// under a backlog fewer, larger transactions carry more rows per second. With light traffic nothing waits and
    /// batches keep <c>Ingestion:BatchMaxEvents</c> / <c>Ingestion:BatchMaxDelayMs</c>. Default 245,760: two DuckDB row
    /// groups, which DuckDB compresses straight into the file while they are appended, so such a commit writes next to
    /// nothing to the log and sets off no checkpoint (131,072, a little more than one row group, left a partial row
    /// group to be compressed again by every commit).</summary>
    public int BacklogBatchMaxEvents { get; init; } = 2 * 122_880;

    /// <summary>How old a batch may grow under a backlog (see <see cref="BacklogBatchMaxEvents"/>); never less than
    /// <c>Ingestion:BatchMaxDelayMs</c>. Default 2 s.</summary>
    public TimeSpan BacklogBatchMaxDelay { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Message bytes after which a batch is written whatever its count (a batch of large events, e.g. near
    /// <c>Ingestion:MaxMessageBytes</c> each, must not hold gigabytes while it grows). Default 128 MiB (room for a
    /// backlog batch of the usual router event of about 400 bytes).</summary>
    public long BatchMaxBytes { get; init; } = 128L << 20;

    /// <summary>The least <see cref="Capacity"/>: 128 chunks.</summary>
    public const int MinCapacity = 128;

    /// <summary>Messages per chunk (one decode task): <c>Ingestion:BatchMaxEvents</c>, at most 2,048, the rows of one
    /// DuckDB data chunk, so that a decode task under a backlog fills its requests' chunk instead of half of it.</summary>
    public int ChunkSize { get; }

    /// <summary>Chunks queued at most; the consumer waits when the queue is full. Two light-traffic batches' worth,
    /// and at least <see cref="MinCapacity"/>, so that under a backlog the consumer goes on polling (and the decode
    /// tasks on decoding) while the writer stores a batch: with ten chunks it stopped after 10,240 messages and one
    /// core idled for most of each write. (Before requests were decoded into DuckDB's chunks a deeper queue was
    /// measured slower: more decoded objects alive at once cost the garbage collector more than the overlap gained.)
    /// <see cref="QueueMaxBytes"/> bounds the same queue by message bytes (64 MiB, about 150,000 router events).</summary>
    public int Capacity { get; }

    /// <summary>Message bytes queued at most (besides the batch being assembled or written); a chunk is always let in
    /// when the queue is empty, so one chunk of huge messages still moves. Default 64 MiB.</summary>
    public long QueueMaxBytes { get; init; } = 64L << 20;

    /// <summary>Whether the writer stopped on an error (see <see cref="ThrowIfFailed"/>).</summary>
    public bool Failed => _failure is not null;

    /// <summary>Starts the writer thread. Offsets of written batches are stored on <paramref name="consumer"/>
    /// (advisory, for lag monitoring), when given.</summary>
    public void Start(IConsumer<byte[]?, byte[]?>? consumer)
    {
        _consumer = consumer;
        _thread.Start();
    }

    /// <summary>Throws the writer's error, if it stopped on one.</summary>
    public void ThrowIfFailed()
    {
        if (_failure is { } failure)
        {
            throw new InvalidOperationException($"storing a batch failed: {failure.Message}", failure);
        }
    }

    /// <summary>Starts decoding <paramref name="messages"/> on the thread pool and queues them for the writer, waiting
    /// while the queue is full; the pipeline owns (and disposes) the chunk from then on. Consumer thread.</summary>
    public void Post(MessageChunk messages)
    {
        if (messages.Count == 0)
        {
            messages.Dispose();
            return;
        }
        var receivedAt = _clock.GetUtcNow();
        WaitForRoom(messages.ValueBytes);
        var chunk = new Chunk(messages, receivedAt, messages.ValueBytes, Task.Run(() => Decode(messages), CancellationToken.None));
        Enqueue(chunk);
    }

    /// <summary>Posts a copy of <paramref name="messages"/> (see <see cref="Post(MessageChunk)"/>).</summary>
    public void Post(IReadOnlyCollection<ConsumeResult<byte[]?, byte[]?>> messages) => Post(MessageChunk.Of(messages));

    /// <summary>Stores everything queued so far (a rebalance, shutdown) and then forgets <paramref name="revoked"/>'s
    /// stored offsets. Returns when the batch is durable. Consumer thread.</summary>
    public void Flush(IReadOnlyCollection<(string Topic, int Partition)> revoked) => Control(() =>
    {
        WriteBatch();
        foreach (var p in revoked)
        {
            _stored.Remove(p);
        }
        return 0;
    });

    /// <summary>Drops every queued, unstored message of <paramref name="lost"/> (another consumer owns them now and
    /// re-reads them from the offsets stored in the database). Consumer thread.</summary>
    public void Drop(IReadOnlyCollection<(string Topic, int Partition)> lost)
    {
        foreach (var p in lost)
        {
            _dropping[p] = 0;
        }
        Control(() =>
        {
            if (DropFromBatch(lost))
            {
                WriteBatch(); // now, while the rows to leave out are only those of this batch
            }
            foreach (var p in lost)
            {
                _stored.Remove(p);
                _dropping.TryRemove(p, out _);
            }
            return 0;
        });
    }

    /// <summary>Where a partition resumes: the later of this worker's stored next offset and the lake's durable one.
    /// Every position below either is stored already (in this file, to be flushed by this worker, or in the lake).</summary>
    internal static long? ResumeOffset(long? own, long? lake) => (own, lake) switch
    {
        ({ } o, { } l) => Math.Max(o, l),
        ({ } o, null) => o,
        (null, { } l) => l,
        _ => null,
    };

    /// <summary>The positions to resume newly assigned partitions from: the offsets stored in DuckDB, read after
    /// everything queued before was written. Consumer thread.</summary>
    public List<TopicPartitionOffset> LoadPositions(IReadOnlyList<TopicPartition> partitions) => Control(() =>
    {
        var result = new List<TopicPartitionOffset>(partitions.Count);
        var lake = SharedLakePath is null ? null : LakeWriter.ReadDurableOffsets(SharedLakePath);
        foreach (var topic in partitions.Select(p => p.Topic).Distinct())
        {
            var stored = _store.LoadOffsets(topic);
            foreach (var tp in partitions.Where(p => p.Topic == topic))
            {
                var resume = ResumeOffset(stored.TryGetValue(tp.Partition.Value, out var own) ? own : null,
                    lake is null ? null : lake.TryGetValue((topic, tp.Partition.Value), out var durable) ? durable : null);
                if (resume is { } next)
                {
                    _stored[(topic, tp.Partition.Value)] = next;
                    result.Add(new TopicPartitionOffset(tp, new Offset(next)));
                }
                else
                {
                    _stored.Remove((topic, tp.Partition.Value));
                    result.Add(new TopicPartitionOffset(tp, lake is null ? Offset.Unset : Offset.Beginning));
                }
            }
        }
        return result;
    });

    /// <summary>Lets the writer finish what is queued and waits for its thread to end.</summary>
    public void Complete()
    {
        if (!_queue.IsAddingCompleted)
        {
            _queue.CompleteAdding();
        }
        if (_thread.IsAlive)
        {
            _thread.Join();
        }
    }

    private T Control<T>(Func<T> action)
    {
        ThrowIfFailed();
        var step = new ControlStep(() => action());
        Enqueue(step);
        try
        {
            return (T)step.Done.Task.GetAwaiter().GetResult()!;
        }
        catch (Exception ex) when (ex is not InvalidOperationException)
        {
            throw new InvalidOperationException($"storing a batch failed: {ex.Message}", ex);
        }
    }

    /// <summary>Back-pressure: waits until the queue has room for a chunk of <paramref name="bytes"/> message bytes
    /// (counted as queued from then on), noticing a dead writer instead of waiting for ever. Consumer thread.</summary>
    private void WaitForRoom(long bytes)
    {
        var started = Stopwatch.GetTimestamp();
        lock (_room)
        {
            while (_queuedChunks > 0 && (_queuedChunks >= Capacity || _queuedBytes + bytes > QueueMaxBytes))
            {
                ThrowIfFailed();
                Monitor.Wait(_room, 100);
            }
            _queuedChunks++;
            _queuedBytes += bytes;
        }
        _timings.ConsumerWaitTicks += Stopwatch.GetTimestamp() - started;
    }

    /// <summary>The writer took <paramref name="chunk"/> off the queue: its room is free again.</summary>
    private void Release(Chunk chunk)
    {
        lock (_room)
        {
            _queuedChunks--;
            _queuedBytes -= chunk.Bytes;
            Monitor.PulseAll(_room);
        }
    }

    private void Enqueue(Step step)
    {
        ThrowIfFailed();
        try
        {
            _queue.Add(step, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            ThrowIfFailed(); // the writer stopped on an error and closed the queue
            throw;
        }
        // No chunk is ever skipped, not even on shutdown: a later chunk's offsets would cover its messages.
    }

    /// <summary>Decodes a chunk on the thread pool. Requests go straight into DuckDB's chunks
    /// (<see cref="DuckDbRequestChunks"/>), so nothing of them stays on the .NET heap while their batch grows; the
    /// other results (validations, stages, rejections) are kept as objects.</summary>
    private DecodedChunk Decode(MessageChunk messages)
    {
        var started = Stopwatch.GetTimestamp();
        var results = new DecodeResult[messages.Count];
        var inChunks = new bool[messages.Count];
        var requests = new DuckDbRequestChunks();
        try
        {
            for (var i = 0; i < results.Length; i++)
            {
                var result = DecodeOne(messages, i);
                if (result.Event is RequestEvent request)
                {
                    requests.Add(messages.Position(i), request);
                    inChunks[i] = true;
                }
                else
                {
                    results[i] = result;
                }
            }
        }
        catch
        {
            requests.Dispose();
            throw;
        }
        if (requests.Rows == 0)
        {
            requests.Dispose();
            requests = null;
        }
        _timings.AddDecode(Stopwatch.GetTimestamp() - started);
        return new DecodedChunk(results, inChunks, requests);
    }

    private DecodeResult DecodeOne(MessageChunk messages, int i)
    {
        try
        {
            return _decoder.Decode(messages.Value(i));
        }
        catch (Exception ex)
        {
            // A decoder bug quarantines the message instead of stopping ingestion.
            return DecodeResult.Reject("decoder_error", ex.Message);
        }
    }

    private void WriterLoop()
    {
        try
        {
            while (true)
            {
                var wait = BatchCount == 0 ? Timeout.InfiniteTimeSpan : _batchMaxDelay - _batchAge.Elapsed;
                if (BatchCount > 0 && BatchDue)
                {
                    // Due, but kept for the backlog's next chunk (see GrowUnderBacklog): wait for it no longer than the
                    // grace after the last one, and not at all once that has passed.
                    wait = NextChunkGrace - Stopwatch.GetElapsedTime(_lastChunkAt);
                }
                if (BatchCount == 0)
                {
                    _idle?.Invoke();
                    wait = TimeSpan.FromMilliseconds(250);
                }
                var waitStarted = Stopwatch.GetTimestamp();
                var took = _queue.TryTake(out var step, wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
                _timings.WriterWaitTicks += Stopwatch.GetTimestamp() - waitStarted;
                if (!took)
                {
                    if (_queue.IsCompleted)
                    {
                        break;
                    }
                    if (BatchCount > 0 && BatchDue && !GrowUnderBacklog())
                    {
                        WriteBatch();
                    }
                    continue;
                }
                switch (step)
                {
                    case Chunk chunk:
                        Release(chunk);
                        // A full chunk: the consumer had a chunk's worth of messages at hand, so more are coming.
                        _lastChunkFull = chunk.Messages.Count >= ChunkSize;
                        _lastChunkAt = Stopwatch.GetTimestamp();
                        var assembling = Stopwatch.GetTimestamp();
                        using (chunk.Messages)
                        {
                            Assemble(chunk);
                        }
                        _timings.AssembleTicks += Stopwatch.GetTimestamp() - assembling;
                        if (_batchBytes >= BatchMaxBytes || (BatchDue && !GrowUnderBacklog()))
                        {
                            WriteBatch();
                        }
                        break;
                    case ControlStep control:
                        try
                        {
                            control.Done.SetResult(control.Action());
                        }
                        catch (Exception ex)
                        {
                            _failure = ex; // before waking the waiter, so it sees Failed at once
                            control.Done.SetException(ex);
                            throw;
                        }
                        break;
                }
            }
            WriteBatch();
        }
        catch (Exception ex)
        {
            _failure = ex;
            _queue.CompleteAdding();
            // Release every rebalance handler waiting on a control step.
            while (_queue.TryTake(out var step))
            {
                (step as ControlStep)?.Done.TrySetException(ex);
            }
        }
    }

    /// <summary>Whether a batch that is due may take more chunks instead: chunks are already waiting (the writer is
    /// behind), or the last chunk was full (the consumer is working through a backlog, so the next is on its way;
    /// under light traffic chunks are cut by time and never full).</summary>
    private bool GrowUnderBacklog() =>
        ((_pending.TryPeek(out var next) && next is Chunk) ||
         (_lastChunkFull && Stopwatch.GetElapsedTime(_lastChunkAt) < NextChunkGrace)) &&
        BatchCount < BacklogBatchMaxEvents &&
        _batchAge.Elapsed < (BacklogBatchMaxDelay > _batchMaxDelay ? BacklogBatchMaxDelay : _batchMaxDelay);

    /// <summary>Whether the batch is due by <c>Ingestion:BatchMaxEvents</c> or <c>Ingestion:BatchMaxDelayMs</c>.</summary>
    private bool BatchDue => BatchCount >= _batchMaxEvents || _batchAge.Elapsed >= _batchMaxDelay;

    /// <summary>How long a due batch waits for the chunk after a full one (the consumer hands a chunk on when full or
    /// after at most 100 ms, so under a backlog the next comes well within this): the most a batch's write is
    /// delayed when a full chunk turns out to be the last.</summary>
    internal TimeSpan NextChunkGrace { get; init; } = TimeSpan.FromMilliseconds(100);

    private void Assemble(Chunk chunk)
    {
        var (results, inChunks, requests) = chunk.Decoded.GetAwaiter().GetResult();
        var messages = chunk.Messages;
        var skip = Skips(messages);
        if (requests is not null && skip is not null && Enumerable.Range(0, results.Length).Any(i => inChunks[i] && skip[i]))
        {
            // Rows in DuckDB's chunks cannot be left out one by one: when one of them must be (a redelivery, or a
            // partition lost meanwhile), this chunk's requests are decoded again as objects, which are.
            for (var i = 0; i < results.Length; i++)
            {
                if (inChunks[i])
                {
                    results[i] = DecodeOne(messages, i);
                    inChunks[i] = false;
                }
            }
            requests.Dispose();
            requests = null;
        }
        var empty = BatchCount == 0;
        long accepted = 0, rejected = 0;
        for (var i = 0; i < results.Length; i++)
        {
            if (skip is not null && skip[i])
            {
                continue; // lost to another consumer, or already stored (a redelivery): never twice
            }
            if (empty)
            {
                _batchAge.Restart();
                empty = false;
            }
            _batchBytes += messages.Value(i).Length;
            if (inChunks[i])
            {
                accepted++; // its row is in requests, which advances the offsets below
                continue;
            }
            var result = results[i];
            _batch.Add(messages.Position(i), result, result.IsAccepted ? null : messages.Key(i),
                result.IsAccepted || !messages.HasValue(i) ? null : _decoder.KeptRaw(messages.Value(i)), chunk.ReceivedAt);
            if (result.IsAccepted)
            {
                accepted++;
            }
            else
            {
                rejected++;
            }
        }
        if (requests is not null)
        {
            foreach (var ((topic, partition), (_, last)) in requests.Offsets)
            {
                _batch.Advance(new SourcePosition(topic, partition, last));
            }
            _requests.Add(requests);
            _requestRows += requests.Rows;
        }
        _statistics.RecordConsumed(accepted, rejected);
    }

    /// <summary>Which messages must not be stored (null when none): their partition was lost to another consumer, or
    /// they are below the partition's stored offset (a redelivery). One lookup per run of a partition, not per
    /// message.</summary>
    private bool[]? Skips(MessageChunk messages)
    {
        var dropping = !_dropping.IsEmpty;
        bool[]? skip = null;
        string? topic = null;
        var partition = -1;
        bool lost = false, known = false;
        long next = 0;
        for (var i = 0; i < messages.Count; i++)
        {
            if (!ReferenceEquals(messages.Topic(i), topic) || messages.Partition(i) != partition)
            {
                topic = messages.Topic(i);
                partition = messages.Partition(i);
                lost = dropping && _dropping.ContainsKey((topic, partition));
                known = _stored.TryGetValue((topic, partition), out next);
            }
            if (lost || (known && messages.Offset(i) < next))
            {
                (skip ??= new bool[messages.Count])[i] = true;
            }
        }
        return skip;
    }

    /// <summary>Messages in the batch: the objects of <see cref="_batch"/> and the rows in <see cref="_requests"/>.</summary>
    private long BatchCount => _batch.Count + _requestRows;

    /// <summary>Drops the batch's requests in DuckDB's chunks and forgets the partitions to leave out.</summary>
    private void ClearRequests()
    {
        foreach (var requests in _requests)
        {
            requests.Dispose();
        }
        _requests.Clear();
        _requestRows = 0;
        _leaveOut.Clear();
    }

    /// <summary>Drops what the batch holds of <paramref name="lost"/>: its objects now, its rows in DuckDB's chunks
    /// in the transaction that stores the rest, which the caller writes before it takes another chunk. Returns
    /// whether there are such rows.</summary>
    private bool DropFromBatch(IReadOnlyCollection<(string Topic, int Partition)> lost)
    {
        _batch.DropPartitions(lost);
        foreach (var p in lost)
        {
            foreach (var requests in _requests)
            {
                if (requests.Offsets.TryGetValue(p, out var range))
                {
                    DuckDbRequestChunks.Widen(_leaveOut, p, range);
                }
            }
        }
        return _leaveOut.Count > 0;
    }

    private void WriteBatch()
    {
        if (!_dropping.IsEmpty)
        {
            DropFromBatch(_dropping.Keys.ToList());
        }
        if (_batch.NextOffsets.Count == 0)
        {
            _batch.Clear();
            ClearRequests();
            _batchBytes = 0;
            return;
        }
        var started = Stopwatch.GetTimestamp();
        _deadLetters.Publish(_batch.Quarantined, DeadLetterTimeout);
        var written = WriteWithRetry();
        _timings.WriteTicks += Stopwatch.GetTimestamp() - started;
        _statistics.RecordCommit(_batch, Stopwatch.GetElapsedTime(started), _requests.Max(r => r.Newest), _requestRows);
        foreach (var ((topic, partition), next) in _batch.NextOffsets)
        {
            _stored[(topic, partition)] = next;
            try
            {
                _consumer?.StoreOffset(new TopicPartitionOffset(topic, partition, next));
            }
            catch (KafkaException)
            {
                // The partition was revoked meanwhile; DuckDB holds the offset that matters.
            }
        }
        _statistics.RecordStored(written);
        _log.LogDebug("Stored {Requests} requests, {Validations} validations, {Stages} stage events, {Quarantined} quarantined",
            written.Requests, written.Validations, written.Stages, written.Quarantined);
        if (written.Quarantined > 0)
        {
            _log.LogWarning("Quarantined {Count} bad messages (see the quarantine table or {DeadLetterTopic}); ingestion continues",
                written.Quarantined, _deadLetterTopic);
        }
        _batch.Clear();
        ClearRequests();
        _batchBytes = 0;
    }

    private BatchWriteResult WriteWithRetry()
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return _store.WriteWithRequestChunks(_batch, _requests, _leaveOut);
            }
            catch (Exception ex) when (attempt < 5)
            {
                var backoff = TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt));
                _log.LogError(ex, "Writing a batch of {Count} messages to {DatabasePath} failed (attempt {Attempt}); retrying in {Backoff}. " +
                    "Check free disk space and that no other process holds the file", BatchCount, _store.DatabasePath, attempt, backoff);
                Thread.Sleep(backoff); // the writer's own back-off, not synchronisation
            }
        }
    }

    public void Dispose()
    {
        Complete();
        _queue.Dispose();
    }

    private abstract class Step;

    /// <summary>A decoded chunk: per message its result, or <c>inChunks[i]</c> when its request is a row of
    /// <c>Requests</c> instead.</summary>
    private sealed record DecodedChunk(DecodeResult[] Results, bool[] InChunks, DuckDbRequestChunks? Requests);

    private sealed class Chunk(MessageChunk messages, DateTimeOffset receivedAt, long bytes, Task<DecodedChunk> decoded) : Step
    {
        public MessageChunk Messages { get; } = messages;

        public DateTimeOffset ReceivedAt { get; } = receivedAt;

        public long Bytes { get; } = bytes;

        public Task<DecodedChunk> Decoded { get; } = decoded;
    }

    private sealed class ControlStep(Func<object?> action) : Step
    {
        public Func<object?> Action { get; } = action;

        public TaskCompletionSource<object?> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}

/// <summary>Where the ingestion pipeline spent its time (Stopwatch ticks), for benchmarks and profiling. Decode time is
/// summed over the decode tasks, which run in parallel, so the columns overlap in wall time.</summary>
internal sealed class PipelineTimings
{
    private long _decodeTicks;

    /// <summary>Decode tasks, summed.</summary>
    public long DecodeTicks => Interlocked.Read(ref _decodeTicks);

    /// <summary>Writer thread: waiting for decoded chunks to turn into a batch.</summary>
    public long AssembleTicks { get; set; }

    /// <summary>Writer thread: dead letters and <see cref="DuckDbEventStore.Write"/>.</summary>
    public long WriteTicks { get; set; }

    /// <summary>Writer thread: waiting for the next chunk (the consumer or decoding is the bottleneck).</summary>
    public long WriterWaitTicks { get; set; }

    /// <summary>Consumer thread: waiting for room in the queue (back-pressure: the writer is the bottleneck).</summary>
    public long ConsumerWaitTicks { get; set; }

    public void AddDecode(long ticks) => Interlocked.Add(ref _decodeTicks, ticks);

    /// <inheritdoc />
    public override string ToString() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"decode tasks {S(DecodeTicks):F2} s | writer: assemble (incl. waiting for decode) {S(AssembleTicks):F2} s, write {S(WriteTicks):F2} s, idle {S(WriterWaitTicks):F2} s | consumer: back-pressure wait {S(ConsumerWaitTicks):F2} s");

    private static double S(long ticks) => (double)ticks / Stopwatch.Frequency;
}
