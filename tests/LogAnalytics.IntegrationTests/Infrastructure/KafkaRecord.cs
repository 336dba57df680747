namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>One message as the log holds it: where it is and what it says.</summary>
public readonly record struct KafkaRecord(int Partition, long Offset, string? Key, string? Value);
