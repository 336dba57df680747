using Confluent.Kafka;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>Readiness checks built on metadata requests (the one admin call a 0.9 broker answers).</summary>
internal static class KafkaMetadata
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(3);

    /// <summary>
    /// An admin client whose librdkafka log lines are kept (last one only) rather than written to stderr: while a broker
    /// starts, "connection refused" is expected and would only be noise.
    /// </summary>
    public static IAdminClient CreateQuietAdmin(AdminClientConfig config, Action<string> onLog) =>
        new AdminClientBuilder(config)
            .SetLogHandler((_, message) => onLog($"{message.Level} {message.Facility}: {message.Message}"))
            .SetErrorHandler((_, error) => onLog($"error {error.Code}: {error.Reason}"))
            .Build();

    /// <summary>
    /// True when the cluster lists a broker at <paramref name="bootstrapServers"/> and every partition of every topic
    /// has a leader: right after a (re)start the controller still has to elect them, and produce requests fail until
    /// it has.
    /// </summary>
    public static async Task<(bool Ready, string State)> ClusterReadyAsync(IAdminClient admin, string bootstrapServers)
    {
        Metadata metadata;
        try
        {
            metadata = await Task.Run(() => admin.GetMetadata(RequestTimeout));
        }
        catch (KafkaException ex)
        {
            return (false, $"metadata request failed: {ex.Error.Code} {ex.Error.Reason}");
        }

        var listed = metadata.Brokers.Any(b => $"{b.Host}:{b.Port}" == bootstrapServers);
        if (!listed)
        {
            var brokers = string.Join(", ", metadata.Brokers.Select(b => $"{b.BrokerId}@{b.Host}:{b.Port}"));
            return (false, $"broker {bootstrapServers} not yet in metadata (brokers: [{brokers}])");
        }

        var leaderless = metadata.Topics
            .SelectMany(t => t.Partitions.Where(p => p.Leader < 0).Select(p => $"{t.Topic}[{p.PartitionId}]"))
            .ToList();
        return leaderless.Count == 0
            ? (true, "ready")
            : (false, $"partitions without a leader: {string.Join(", ", leaderless.Take(10))}");
    }

    /// <summary>
    /// True when <paramref name="topic"/> exists with <paramref name="partitions"/> partitions (any count if null),
    /// each with a leader. On a broker with auto.create.topics.enable this request itself creates a missing topic.
    /// </summary>
    public static async Task<(bool Ready, string State)> TopicReadyAsync(IAdminClient admin, string topic, int? partitions)
    {
        Metadata metadata;
        try
        {
            metadata = await Task.Run(() => admin.GetMetadata(topic, RequestTimeout));
        }
        catch (KafkaException ex)
        {
            return (false, $"metadata request failed: {ex.Error.Code} {ex.Error.Reason}");
        }

        var found = metadata.Topics.SingleOrDefault(t => t.Topic == topic);
        if (found is null || found.Error.IsError)
        {
            return (false, $"topic {topic}: {found?.Error.Code.ToString() ?? "absent"}");
        }

        if (partitions is { } expected && found.Partitions.Count != expected)
        {
            return (false, $"topic {topic} has {found.Partitions.Count} partitions, expected {expected}");
        }

        var leaderless = found.Partitions.Where(p => p.Leader < 0 || p.Error.IsError).Select(p => p.PartitionId).ToList();
        return leaderless.Count == 0 && found.Partitions.Count > 0
            ? (true, "ready")
            : (false, $"topic {topic}: partitions without a leader: [{string.Join(", ", leaderless)}]");
    }
}
