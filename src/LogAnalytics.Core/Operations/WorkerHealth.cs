namespace LogAnalytics.Operations;

/// <summary>What the probes look at, read from the running worker at one instant.</summary>
/// <param name="Now">The current time.</param>
/// <param name="StartedAt">When the process started serving (deadlines count from here before the first progress).</param>
/// <param name="ConsumeLoopProgressAt">When the consume loop last went round; null before it started.</param>
/// <param name="EvaluationAt">When the verdict loop last finished a round; null before the first.</param>
/// <param name="DatabaseOpen">The DuckDB file is open (and so migrated).</param>
/// <param name="AssignedPartitions">Partitions this worker owns.</param>
/// <param name="Ownership">Whether those are all the partitions of its topics (see
/// <see cref="Ingestion.IngestionStatistics.Ownership"/>); a worker owning only some publishes no verdict.</param>
/// <param name="TotalPartitions">Partitions of its topics, when known.</param>
public readonly record struct WorkerHealthSnapshot(
    DateTimeOffset Now,
    DateTimeOffset StartedAt,
    DateTimeOffset? ConsumeLoopProgressAt,
    DateTimeOffset? EvaluationAt,
    bool DatabaseOpen,
    int AssignedPartitions,
    Ingestion.PartitionOwnership Ownership = Ingestion.PartitionOwnership.Unknown,
    int TotalPartitions = 0);

/// <summary>One named probe check: ok, or a sentence saying what is wrong.</summary>
public readonly record struct HealthCheck(string Name, bool Ok, string Detail);

/// <summary>Liveness and readiness rules (pure).</summary>
public static class WorkerHealth
{
    /// <summary>Liveness: the consume loop went round within <paramref name="consumeDeadline"/>, and the verdict loop
    /// finished a round within <paramref name="evaluationDeadline"/> (both counted from start before their first round).</summary>
    public static IReadOnlyList<HealthCheck> Liveness(WorkerHealthSnapshot s, TimeSpan consumeDeadline, TimeSpan evaluationDeadline) =>
    [
        Progress("consume_loop", s.Now, s.StartedAt, s.ConsumeLoopProgressAt, consumeDeadline),
        Progress("verdict_loop", s.Now, s.StartedAt, s.EvaluationAt, evaluationDeadline),
    ];

    /// <summary>Readiness: DuckDB open and migrated, partitions assigned, the first evaluation done.</summary>
    public static IReadOnlyList<HealthCheck> Readiness(WorkerHealthSnapshot s) =>
    [
        new("database", s.DatabaseOpen, s.DatabaseOpen ? "open and migrated" : "the DuckDB file is not open yet"),
        new("partitions", s.AssignedPartitions > 0, s.AssignedPartitions > 0
            ? $"{s.AssignedPartitions} assigned"
            : "no partition assigned yet (joining the consumer group, or more workers than partitions)"),
        new("first_evaluation", s.EvaluationAt is not null, s.EvaluationAt is { } at
            ? $"last at {at:O}"
            : "no evaluation finished yet"),
        // Informational: a worker that owns only some partitions is ready to ingest, but publishes no verdict.
        new("verdicts", true, s.Ownership switch
        {
            Ingestion.PartitionOwnership.All => "published (this worker owns every partition)",
            Ingestion.PartitionOwnership.Partial =>
                $"withheld: this worker owns {s.AssignedPartitions} of the {s.TotalPartitions} partitions, so its database holds part of the " +
                "traffic; verdicts come from a worker that owns every partition or from `loganalytics evaluate --lake`",
            _ => "not known yet (waiting for the partition assignment)",
        }),
    ];

    private static HealthCheck Progress(string name, DateTimeOffset now, DateTimeOffset startedAt, DateTimeOffset? last, TimeSpan deadline)
    {
        var since = last ?? startedAt;
        var quiet = now - since;
        if (quiet <= deadline)
        {
            return new HealthCheck(name, true, last is null ? $"starting ({quiet.TotalSeconds:0} s of {deadline.TotalSeconds:0} s)" : $"progress {quiet.TotalSeconds:0} s ago");
        }
        return new HealthCheck(name, false, last is null
            ? $"no progress in the {quiet.TotalSeconds:0} s since start (deadline {deadline.TotalSeconds:0} s): stuck"
            : $"last progress {quiet.TotalSeconds:0} s ago (deadline {deadline.TotalSeconds:0} s): stuck");
    }
}
