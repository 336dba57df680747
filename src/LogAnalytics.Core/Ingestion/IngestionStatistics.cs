using System.Collections.Concurrent;

namespace LogAnalytics.Ingestion;

/// <summary>Running counters of the ingestion pipeline, for the live view, logs and health. Thread-safe.</summary>
public sealed class IngestionStatistics
{
    private long _consumed;
    private long _rejected;
    private long _stored;
    private long _quarantined;
    private long _batches;
    private int _assignedPartitions;

    /// <summary>Messages read from Kafka (or files).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Messages that failed to decode.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>Event rows stored in DuckDB.</summary>
    public long Stored => Interlocked.Read(ref _stored);

    /// <summary>Quarantine rows stored in DuckDB.</summary>
    public long Quarantined => Interlocked.Read(ref _quarantined);

    /// <summary>Batches committed.</summary>
    public long Batches => Interlocked.Read(ref _batches);

    /// <summary>Partitions this worker currently owns (0 before the first assignment or after losing them all).</summary>
    public int AssignedPartitions => Volatile.Read(ref _assignedPartitions);

    internal void RecordAssignment(int partitions) => Volatile.Write(ref _assignedPartitions, partitions);

    /// <summary>Whether this worker owns every partition of its topics, some of them, or does not know yet (before the
    /// first assignment, during a rebalance). Only a worker that owns every partition holds all the traffic in its
    /// database; a partial one publishes no verdicts (see README, "Several workers in one group").</summary>
    public PartitionOwnership Ownership => _ownership.State;

    /// <summary><see langword="true"/> when <see cref="Ownership"/> is <see cref="PartitionOwnership.All"/>.</summary>
    public bool OwnsAllPartitions => Ownership == PartitionOwnership.All;

    /// <summary>Partitions of the subscribed topics this worker owned when <see cref="Ownership"/> was last decided.</summary>
    public int OwnedPartitions => _ownership.Owned;

    /// <summary>Partitions the subscribed topics have in all (0 while unknown).</summary>
    public int TotalPartitions => _ownership.Total;

    /// <summary>Completes when <see cref="Ownership"/> is first known (the first assignment was checked against the
    /// topics' partition counts).</summary>
    public Task OwnershipKnown => _ownershipKnown.Task;

    private OwnershipSnapshot _ownership = new(PartitionOwnership.Unknown, 0, 0);
    private readonly TaskCompletionSource _ownershipKnown = new(TaskCreationOptions.RunContinuationsAsynchronously);

    internal void RecordOwnership(PartitionOwnership state, int owned, int total)
    {
        Volatile.Write(ref _ownership, new OwnershipSnapshot(state, owned, total));
        if (state != PartitionOwnership.Unknown)
        {
            _ownershipKnown.TrySetResult();
        }
    }

    /// <summary>Where the Kafka ingestion pipeline spends its time (benchmarks, profiling).</summary>
    internal Kafka.PipelineTimings Pipeline { get; } = new();

    private sealed record OwnershipSnapshot(PartitionOwnership State, int Owned, int Total);

    /// <summary>Counts a chunk's consumed messages at once.</summary>
    internal void RecordConsumed(long accepted, long rejected)
    {
        Interlocked.Add(ref _consumed, accepted + rejected);
        if (rejected > 0)
        {
            Interlocked.Add(ref _rejected, rejected);
        }
    }

    internal void RecordStored(Storage.BatchWriteResult written)
    {
        Interlocked.Add(ref _stored, written.Requests + written.Validations + written.Stages);
        Interlocked.Add(ref _quarantined, written.Quarantined);
        Interlocked.Increment(ref _batches);
    }

    // --- Operations (probes and metrics, issue 11): recorded by the consume loop, read by the HTTP surface. ---
    private readonly ConcurrentDictionary<string, long> _quarantinedByReason = new(StringComparer.Ordinal);
    private IReadOnlyDictionary<(string Topic, int Partition), long> _consumerLag = new Dictionary<(string, int), long>();
    private long _lastStoredEventUnixMs = long.MinValue;
    private long _lastProgressUnixMs = long.MinValue;

    /// <summary>Raised after each batch is stored (on the consume loop's thread; handlers must be quick).</summary>
    public event Action<BatchCommit>? BatchCommitted;

    /// <summary>Quarantined messages stored, by reason code.</summary>
    public IReadOnlyDictionary<string, long> QuarantinedByReason => new Dictionary<string, long>(_quarantinedByReason, StringComparer.Ordinal);

    /// <summary>Consumer lag per assigned topic-partition, from the latest librdkafka statistics (empty before the first).</summary>
    public IReadOnlyDictionary<(string Topic, int Partition), long> ConsumerLag => Volatile.Read(ref _consumerLag);

    /// <summary>The newest event timestamp among stored events; null before the first.</summary>
    public DateTimeOffset? LastStoredEventTimestamp => FromUnixMs(Interlocked.Read(ref _lastStoredEventUnixMs));

    /// <summary>When the consume loop last went round (for liveness); null before it started.</summary>
    public DateTimeOffset? LastProgressAt => FromUnixMs(Interlocked.Read(ref _lastProgressUnixMs));

    internal void RecordProgress(DateTimeOffset now) => Interlocked.Exchange(ref _lastProgressUnixMs, now.ToUnixTimeMilliseconds());

    internal void RecordConsumerLag(string statisticsJson)
    {
        try
        {
            Volatile.Write(ref _consumerLag, Kafka.ConsumerLagStatistics.Parse(statisticsJson));
        }
        catch (System.Text.Json.JsonException)
        {
            // Not statistics JSON: keep the previous figures.
        }
    }

    /// <summary>Records a stored batch (call before the batch is cleared), with the requests stored beside it
    /// (<paramref name="requestRows"/> rows whose newest event time is <paramref name="newestRequest"/>) that the
    /// batch's objects do not hold.</summary>
    internal void RecordCommit(IngestBatch batch, TimeSpan duration, DateTimeOffset? newestRequest = null, long requestRows = 0)
    {
        foreach (var q in batch.Quarantined)
        {
            _quarantinedByReason.AddOrUpdate(q.Rejection.Reason, 1, (_, n) => n + 1);
        }
        DateTimeOffset? newestEvent = batch.Events.Count > 0 ? batch.Events.Max(e => e.Event.Timestamp) : null;
        if (newestRequest is { } request && (newestEvent is null || request > newestEvent))
        {
            newestEvent = request;
        }
        if (newestEvent is { } newestTime)
        {
            var newest = newestTime.ToUnixTimeMilliseconds();
            long seen;
            while (newest > (seen = Interlocked.Read(ref _lastStoredEventUnixMs))
                && Interlocked.CompareExchange(ref _lastStoredEventUnixMs, newest, seen) != seen)
            {
            }
        }
        BatchCommitted?.Invoke(new BatchCommit(checked(batch.Count + (int)requestRows), duration));
    }

    private static DateTimeOffset? FromUnixMs(long ms) => ms == long.MinValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(ms);
}

/// <summary>One stored batch: how many messages (events and quarantined) and how long the DuckDB write took.</summary>
public readonly record struct BatchCommit(int Messages, TimeSpan Duration);
/// <summary>How much of its topics' traffic a worker receives (see <see cref="IngestionStatistics.Ownership"/>).</summary>
public enum PartitionOwnership
{
    /// <summary>Not known yet: before the first assignment, or while partitions move in a rebalance.</summary>
    Unknown,

    /// <summary>Every partition of every subscribed topic: the database holds all the traffic.</summary>
    All,

    /// <summary>Only some partitions (other members of the consumer group own the rest): the database holds part of
    /// the traffic, so this worker publishes no verdicts.</summary>
    Partial,
}
