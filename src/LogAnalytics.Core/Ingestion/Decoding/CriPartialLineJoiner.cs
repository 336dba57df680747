using System.Buffers;

namespace LogAnalytics.Ingestion.Decoding;

/// <summary>What <see cref="CriPartialLineJoiner.Offer"/> says to do with a message.</summary>
public enum JoinOutcome
{
    /// <summary>Decode the message itself (not a CRI partial chain).</summary>
    Pass,

    /// <summary>A partial (<c>P</c>) line, held until its final line: decode nothing now, and do not advance past it.</summary>
    Held,

    /// <summary>The final (<c>F</c>) line of a chain: decode the joined line instead, at this message's position.</summary>
    Joined,
}

/// <summary>
/// Joins Kubernetes CRI partial lines: the runtime splits a long line into <c>P</c> lines followed by one <c>F</c>
/// line. Consecutive P lines (consecutive offsets in one source partition, one stream) are held and joined to the F
/// line that follows them; the joined line is decoded at the F line's position, so storing it covers the P lines'
/// offsets too, and exactly-once holds: a held P line advances nothing, so after a crash it is read again.
/// </summary>
/// <remarks>
/// A chain broken by anything else (a gap in offsets, another stream, a non-CRI message, a chain longer than the
/// message limit, the end of a file) releases its P lines one by one, to be decoded alone: each is quarantined as
/// <c>partial_line</c> at its own offset with its own bytes. Not thread-safe: one consume loop or one replay reader.
/// </remarks>
public sealed class CriPartialLineJoiner(int maxMessageBytes)
{
    private readonly Dictionary<(string Source, int Partition), Chain> _chains = new();

    /// <summary>Whether a chain is waiting for its F line (a replay must not end a transaction then).</summary>
    public bool HasPending => _chains.Count > 0;

    /// <summary>Offers the next message of a source partition, in offset order.</summary>
    /// <param name="position">Where the message came from.</param>
    /// <param name="message">Its bytes.</param>
    /// <param name="released">Receives P lines of a broken chain, to decode (alone) before this message.</param>
    /// <param name="joined">For <see cref="JoinOutcome.Joined"/>: the joined CRI line.</param>
    public JoinOutcome Offer(SourcePosition position, ReadOnlySpan<byte> message, List<(SourcePosition Position, byte[] Raw)> released, out byte[]? joined)
    {
        joined = null;
        var key = (position.Source, position.Partition);
        Chain? chain = null;
        if (_chains.Count > 0 && _chains.TryGetValue(key, out chain))
        {
            if (!CriLine.TryParse(message, out var next) || !next.Stream.SequenceEqual(chain.Stream)
                || position.Offset != chain.LastOffset + 1 || chain.Content.WrittenCount + next.Content.Length > maxMessageBytes)
            {
                Release(key, chain, released);
                chain = null;
            }
        }
        if (message.IsEmpty || message[0] == (byte)'{' || !CriLine.TryParse(message, out var cri))
        {
            return JoinOutcome.Pass;
        }
        if (cri.Partial)
        {
            if (chain is null)
            {
                if (cri.Content.Length > maxMessageBytes)
                {
                    return JoinOutcome.Pass; // too long alone: quarantined as a partial line
                }
                chain = new Chain(cri.Timestamp.ToArray(), cri.Stream.ToArray());
                _chains[key] = chain;
            }
            chain.Fragments.Add((position, message.ToArray()));
            chain.Content.Write(cri.Content);
            chain.LastOffset = position.Offset;
            return JoinOutcome.Held;
        }
        if (chain is null)
        {
            return JoinOutcome.Pass;
        }
        _chains.Remove(key);
        var line = new byte[chain.Timestamp.Length + 1 + chain.Stream.Length + 3 + chain.Content.WrittenCount + cri.Content.Length];
        var at = 0;
        Append(chain.Timestamp);
        Append(" "u8);
        Append(chain.Stream);
        Append(" F "u8);
        Append(chain.Content.WrittenSpan);
        Append(cri.Content);
        joined = line;
        return JoinOutcome.Joined;

        void Append(ReadOnlySpan<byte> part)
        {
            part.CopyTo(line.AsSpan(at));
            at += part.Length;
        }
    }

    /// <summary>Releases every waiting chain (the end of a replayed file).</summary>
    public void ReleaseAll(List<(SourcePosition Position, byte[] Raw)> released)
    {
        foreach (var (key, chain) in _chains.ToList())
        {
            Release(key, chain, released);
        }
    }

    /// <summary>Forgets the chain of a partition that was revoked or lost: its P lines were not stored, so whoever
    /// owns the partition next reads them again.</summary>
    public void Drop(string source, int partition) => _chains.Remove((source, partition));

    private void Release((string, int) key, Chain chain, List<(SourcePosition Position, byte[] Raw)> released)
    {
        released.AddRange(chain.Fragments);
        _chains.Remove(key);
    }

    private sealed class Chain(byte[] timestamp, byte[] stream)
    {
        public byte[] Timestamp { get; } = timestamp;
        public byte[] Stream { get; } = stream;
        public List<(SourcePosition, byte[])> Fragments { get; } = [];
        public ArrayBufferWriter<byte> Content { get; } = new();
        public long LastOffset { get; set; }
    }
}
