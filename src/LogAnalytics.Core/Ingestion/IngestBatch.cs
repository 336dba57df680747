using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Ingestion;

/// <summary>Where a message came from: a Kafka topic partition and offset, or a replayed file and line.</summary>
/// <param name="Source">The Kafka topic, or <c>file:&lt;sha256&gt;</c> for a replayed file.</param>
/// <param name="Partition">The Kafka partition; 0 for files.</param>
/// <param name="Offset">The Kafka offset, or the 0-based line number.</param>
public readonly record struct SourcePosition(string Source, int Partition, long Offset);

/// <summary>A message that failed to decode, kept with its reason.</summary>
/// <param name="Position">Where it came from.</param>
/// <param name="Rejection">Why it was rejected.</param>
/// <param name="Key">The message key, if any.</param>
/// <param name="Raw">The message bytes exactly as received.</param>
/// <param name="ReceivedAt">When the worker read it.</param>
public sealed record QuarantinedMessage(SourcePosition Position, DecodeRejection Rejection, byte[]? Key, byte[]? Raw, DateTimeOffset ReceivedAt);

/// <summary>
/// Decoded events, quarantined messages and the offsets they cover, written to storage in one transaction.
/// Not thread-safe: one consume loop (or one replay) fills it.
/// </summary>
public sealed class IngestBatch
{
    private readonly Dictionary<(string Source, int Partition), long> _nextOffsets = new();

    /// <summary>Accepted events with their source position.</summary>
    public List<(SourcePosition Position, TrafficEvent Event)> Events { get; } = new();

    /// <summary>Rejected messages.</summary>
    public List<QuarantinedMessage> Quarantined { get; } = new();

    /// <summary>The next offset to read per source partition once this batch is stored.</summary>
    public IReadOnlyDictionary<(string Source, int Partition), long> NextOffsets => _nextOffsets;

    /// <summary>Messages in the batch (events and quarantined).</summary>
    public int Count => Events.Count + Quarantined.Count;

    /// <summary>Adds one decoded message and advances its partition's next offset.</summary>
    public void Add(SourcePosition position, DecodeResult result, byte[]? key, byte[]? raw, DateTimeOffset receivedAt)
    {
        if (result.IsAccepted)
        {
            Events.Add((position, result.Event));
        }
        else
        {
            Quarantined.Add(new QuarantinedMessage(position, result.Rejection, key, raw, receivedAt));
        }
        Advance(position);
    }

    /// <summary>Records that everything before <paramref name="position"/>'s offset + 1 is covered, with no row
    /// (e.g. a Kafka control record, or a line already stored).</summary>
    public void Advance(SourcePosition position)
    {
        var key = (position.Source, position.Partition);
        if (!_nextOffsets.TryGetValue(key, out var next) || position.Offset + 1 > next)
        {
            _nextOffsets[key] = position.Offset + 1;
        }
    }

    /// <summary>Drops what came from the given partitions (they were lost to another consumer).</summary>
    public void DropPartitions(IEnumerable<(string Source, int Partition)> partitions)
    {
        var lost = partitions.ToHashSet();
        Events.RemoveAll(e => lost.Contains((e.Position.Source, e.Position.Partition)));
        Quarantined.RemoveAll(q => lost.Contains((q.Position.Source, q.Position.Partition)));
        foreach (var p in lost)
        {
            _nextOffsets.Remove(p);
        }
    }

    /// <summary>Empties the batch after it was stored.</summary>
    public void Clear()
    {
        Events.Clear();
        Quarantined.Clear();
        _nextOffsets.Clear();
    }
}
