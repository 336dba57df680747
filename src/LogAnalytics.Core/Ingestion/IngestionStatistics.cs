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

    internal void RecordConsumed(bool accepted)
    {
        Interlocked.Increment(ref _consumed);
        if (!accepted)
        {
            Interlocked.Increment(ref _rejected);
        }
    }

    internal void RecordStored(Storage.BatchWriteResult written)
    {
        Interlocked.Add(ref _stored, written.Requests + written.Validations + written.Stages);
        Interlocked.Add(ref _quarantined, written.Quarantined);
        Interlocked.Increment(ref _batches);
    }
}
