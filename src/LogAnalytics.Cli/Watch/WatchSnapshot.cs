using LogAnalytics.Verdicts;

namespace LogAnalytics.Cli.Watch;

/// <summary>What <c>loganalytics watch</c> shows at one moment: the latest verdict of each experiment (from the verdict
/// topic) and the workers' consumer group progress.</summary>
/// <param name="At">When the snapshot was taken.</param>
/// <param name="Verdicts">The latest verdict per experiment, by experiment id.</param>
/// <param name="VerdictError">Why verdicts cannot be read (no such topic, broker down), or null.</param>
/// <param name="Group">The consumer group's lag and rate, or null when not measured yet.</param>
internal sealed record WatchSnapshot(DateTimeOffset At, IReadOnlyList<Verdict> Verdicts, string? VerdictError, GroupProgress? Group);

/// <summary>The workers' consumer group (<c>Kafka:GroupId</c>) on the traffic topics.</summary>
/// <param name="GroupId">The group.</param>
/// <param name="Lag">Messages not yet committed by the group: high watermark minus committed offset, summed over the
/// partitions (a partition without a committed offset counts from its low watermark).</param>
/// <param name="EventsPerSecond">Committed messages per second over the last seconds; null until two measurements.</param>
/// <param name="Partitions">Partitions measured.</param>
/// <param name="Error">Why the lag cannot be measured, or null.</param>
internal sealed record GroupProgress(string GroupId, long? Lag, double? EventsPerSecond, int Partitions, string? Error);
