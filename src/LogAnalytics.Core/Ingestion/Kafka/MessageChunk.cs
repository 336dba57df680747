using System.Collections.Concurrent;
using Confluent.Kafka;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>
/// Consumed messages on their way to the pipeline, held compactly: per message its position, and its key and value
/// bytes back to back in one buffer; chunks are pooled. The consumer copies each message in as it arrives and lets go of the
/// client's <see cref="ConsumeResult{TKey,TValue}"/> at once, so the garbage collector never finds the queued messages
/// alive: with the results themselves queued (up to 64 MiB of byte arrays and six objects per message), nearly every
/// collection was a gen1 one that copied the queue (1.0-1.3 s of pauses per 500,000 messages; now 0.13-0.15 s).
/// Filled by the consumer thread, then read by a decode task and the writer, which disposes it (back to the pool).
/// </summary>
internal sealed class MessageChunk : IDisposable
{
    /// <summary>The buffer a chunk starts with: room for <see cref="Messages"/> router events of about 400 bytes.</summary>
    internal const int BufferSize = 1 << 20;

    /// <summary>Messages a chunk has room for before its arrays grow: the pipeline's largest chunk (one DuckDB data
    /// chunk, 2,048 rows).</summary>
    internal const int Messages = 2048;

    /// <summary>Key and value bytes after which a chunk is handed on whatever its count (see <see cref="IsFull"/>):
    /// 2,048 messages of a megabyte each would not fit in one buffer.</summary>
    internal const int MaxBytes = 16 << 20;

    // Chunks are reused: a chunk's arrays live as long as the queue holds it, so new ones for every chunk would be
    // promoted and copied by the collector just like the messages were.
    private static readonly ConcurrentBag<MessageChunk> Pool = new();
    private static int _pooled;
    private const int MaxPooled = 192; // the pipeline's queue (at most 128 chunks, 64 MiB) and the chunks in hand

    private byte[] _buffer = GC.AllocateUninitializedArray<byte>(BufferSize);
    private int _used;
    private string[] _topics = new string[Messages];
    private int[] _partitions = new int[Messages];
    private long[] _offsets = new long[Messages];
    private int[] _starts = new int[Messages]; // of the key; the value follows it
    private int[] _keyLengths = new int[Messages]; // -1: no key
    private int[] _valueLengths = new int[Messages]; // -1: no value (a tombstone)
    private int _disposed;

    private MessageChunk()
    {
    }

    /// <summary>An empty chunk, from the pool when one is there.</summary>
    public static MessageChunk Rent()
    {
        if (Pool.TryTake(out var chunk))
        {
            Interlocked.Decrement(ref _pooled);
            chunk._disposed = 0;
            return chunk;
        }
        return new MessageChunk();
    }

    /// <summary>Messages in the chunk.</summary>
    public int Count { get; private set; }

    /// <summary>Value bytes in the chunk (what the pipeline's queue is bounded by).</summary>
    public long ValueBytes { get; private set; }

    /// <summary>Whether the chunk should be handed on: it holds <paramref name="messages"/> messages, or
    /// <see cref="MaxBytes"/> bytes of keys and values.</summary>
    public bool IsFull(int messages) => Count >= messages || _used >= MaxBytes;

    /// <summary>A chunk of <paramref name="messages"/> (copied).</summary>
    public static MessageChunk Of(IReadOnlyCollection<ConsumeResult<byte[]?, byte[]?>> messages)
    {
        var chunk = Rent();
        foreach (var m in messages)
        {
            chunk.Add(m.Topic, m.Partition.Value, m.Offset.Value, m.Message.Key, m.Message.Value);
        }
        return chunk;
    }

    /// <summary>Copies a message in.</summary>
    public void Add(string topic, int partition, long offset, byte[]? key, byte[]? value)
    {
        var i = Count;
        if (i == _offsets.Length)
        {
            Grow();
        }
        var keyLength = key?.Length ?? 0;
        var valueLength = value?.Length ?? 0;
        if ((long)_used + keyLength + valueLength > _buffer.Length)
        {
            var larger = GC.AllocateUninitializedArray<byte>((int)Math.Min(Array.MaxLength, Math.Max(2L * _buffer.Length, (long)_used + keyLength + valueLength)));
            _buffer.AsSpan(0, _used).CopyTo(larger);
            _buffer = larger;
        }
        // The client hands every message its own copy of the topic name: keep one string per run of a topic.
        _topics[i] = i > 0 && _topics[i - 1] == topic ? _topics[i - 1] : topic;
        _partitions[i] = partition;
        _offsets[i] = offset;
        _starts[i] = _used;
        _keyLengths[i] = key is null ? -1 : keyLength;
        _valueLengths[i] = value is null ? -1 : valueLength;
        key?.CopyTo(_buffer, _used);
        value?.CopyTo(_buffer, _used + keyLength);
        _used += keyLength + valueLength;
        ValueBytes += valueLength;
        Count = i + 1;
    }

    public string Topic(int i) => _topics[i];

    public int Partition(int i) => _partitions[i];

    public long Offset(int i) => _offsets[i];

    public SourcePosition Position(int i) => new(_topics[i], _partitions[i], _offsets[i]);

    /// <summary>The value's bytes (empty for a tombstone: see <see cref="HasValue"/>).</summary>
    public ReadOnlySpan<byte> Value(int i) =>
        _valueLengths[i] < 0 ? default : _buffer.AsSpan(_starts[i] + Math.Max(0, _keyLengths[i]), _valueLengths[i]);

    /// <summary>Whether the message has a value (not a tombstone).</summary>
    public bool HasValue(int i) => _valueLengths[i] >= 0;

    /// <summary>A copy of the key, or null when the message has none.</summary>
    public byte[]? Key(int i) => _keyLengths[i] < 0 ? null : _buffer.AsSpan(_starts[i], _keyLengths[i]).ToArray();

    /// <summary>Returns the chunk to the pool; it must not be read afterwards.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        Array.Clear(_topics, 0, Count);
        Count = 0;
        ValueBytes = 0;
        _used = 0;
        if (_buffer.Length != BufferSize || _offsets.Length != Messages)
        {
            return; // grown for huge or many messages: left to the collector rather than kept at that size
        }
        if (Interlocked.Increment(ref _pooled) <= MaxPooled)
        {
            Pool.Add(this);
        }
        else
        {
            Interlocked.Decrement(ref _pooled);
        }
    }

    private void Grow()
    {
        var capacity = Math.Max(16, 2 * _offsets.Length);
        Array.Resize(ref _topics, capacity);
        Array.Resize(ref _partitions, capacity);
        Array.Resize(ref _offsets, capacity);
        Array.Resize(ref _starts, capacity);
        Array.Resize(ref _keyLengths, capacity);
        Array.Resize(ref _valueLengths, capacity);
    }
}
