using Confluent.Kafka;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// Client settings for the test broker. The product's own settings stay written for a modern Kafka; only tests add
/// the keys an Apache Kafka 0.9 broker needs, and only when the broker is one.
/// </summary>
public static class TestKafkaConfig
{
    /// <summary>Bootstrap servers of an existing broker to use instead of starting one.</summary>
    public const string ExternalBrokerVariable = "LOGANALYTICS_TEST_KAFKA";

    /// <summary>"true" when the broker named by <see cref="ExternalBrokerVariable"/> is a 0.9 broker.</summary>
    public const string ExternalLegacyVariable = "LOGANALYTICS_TEST_KAFKA_LEGACY";

    /// <summary>ZooKeeper (host:port) of a legacy broker named by <see cref="ExternalBrokerVariable"/>; lets
    /// <c>CreateTopicAsync</c> choose partition counts there.</summary>
    public const string ExternalZooKeeperVariable = "LOGANALYTICS_TEST_KAFKA_ZOOKEEPER";

    /// <summary>Session timeout of test consumers (librdkafka default: 45 s). Must lie within the broker's
    /// group.min/max.session.timeout.ms; the fixture's broker allows 1 s to 300 s.</summary>
    public const int SessionTimeoutMs = 10_000;

    /// <summary>Heartbeat interval of test consumers (librdkafka default: 3 s). A 0.9 coordinator tells members about
    /// a rebalance only in heartbeat responses, so this bounds how fast a second member gets its share.</summary>
    public const int HeartbeatIntervalMs = 500;

    private static readonly IReadOnlyDictionary<string, string> LegacyOverrides = new Dictionary<string, string>
    {
        // A 0.9 broker has no ApiVersions request (KIP-35 came in 0.10); asking for it makes it drop the connection.
        ["api.version.request"] = "false",
        // ...so tell librdkafka which protocol versions to use instead: no timestamps, no headers, no CreateTopics.
        ["broker.version.fallback"] = "0.9.0",
    };

    private static readonly IReadOnlyDictionary<string, string> NoOverrides = new Dictionary<string, string>();

    /// <summary>Bootstrap servers from <see cref="ExternalBrokerVariable"/>, or null to start a broker.</summary>
    public static string? ExternalBootstrapServers =>
        Environment.GetEnvironmentVariable(ExternalBrokerVariable) is { Length: > 0 } servers ? servers.Trim() : null;

    /// <summary>ZooKeeper from <see cref="ExternalZooKeeperVariable"/>, or null.</summary>
    public static string? ExternalZooKeeper =>
        Environment.GetEnvironmentVariable(ExternalZooKeeperVariable) is { Length: > 0 } zooKeeper ? zooKeeper.Trim() : null;

    /// <summary>True when <see cref="ExternalLegacyVariable"/> is "true".</summary>
    public static bool ExternalIsLegacy =>
        string.Equals(Environment.GetEnvironmentVariable(ExternalLegacyVariable), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The librdkafka keys to add for this broker, as a map: the product receives them through its
    /// <c>Kafka:Client</c> configuration section. Empty for a modern broker.
    /// </summary>
    public static IReadOnlyDictionary<string, string> ClientOverrides(bool legacyBroker) =>
        legacyBroker ? LegacyOverrides : NoOverrides;

    /// <summary>
    /// In-memory configuration entries (<c>Kafka:BootstrapServers</c>, <c>Kafka:Client:*</c>) pointing the product at
    /// the test broker, for <c>ConfigurationBuilder.AddInMemoryCollection</c>.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string?>> ConfigurationEntries(string bootstrapServers, bool legacyBroker)
    {
        yield return new("Kafka:BootstrapServers", bootstrapServers);
        foreach (var (key, value) in ClientOverrides(legacyBroker))
        {
            yield return new($"Kafka:Client:{key}", value);
        }
    }

    /// <summary>An admin client configuration (metadata only on a 0.9 broker).</summary>
    public static AdminClientConfig Admin(string bootstrapServers, bool legacyBroker) =>
        WithOverrides(new AdminClientConfig(Common(bootstrapServers)), legacyBroker);

    /// <summary>A producer configuration: acks from all in-sync replicas, a bounded delivery timeout.</summary>
    public static ProducerConfig Producer(string bootstrapServers, bool legacyBroker) =>
        WithOverrides(
            new ProducerConfig(Common(bootstrapServers))
            {
                Acks = Acks.All,
                // librdkafka's default is 300 s; a broken test should fail well before the test run is killed,
                // while still outlasting a broker restart (a few seconds).
                MessageTimeoutMs = 60_000,
            },
            legacyBroker);

    /// <summary>A consumer configuration for group <paramref name="groupId"/>, reading from the earliest offset.</summary>
    public static ConsumerConfig Consumer(string bootstrapServers, bool legacyBroker, string groupId) =>
        WithOverrides(
            new ConsumerConfig(Common(bootstrapServers))
            {
                GroupId = groupId,
                AutoOffsetReset = AutoOffsetReset.Earliest,
                SessionTimeoutMs = SessionTimeoutMs,
                HeartbeatIntervalMs = HeartbeatIntervalMs,
            },
            legacyBroker);

    /// <summary>
    /// A librdkafka log handler for test clients: writes like librdkafka's default handler (to stderr), minus the
    /// deprecation warning about each 0.9 compatibility key that every client would otherwise print twice.
    /// </summary>
    public static void WriteClientLog(LogMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Facility == "CONFWARN" && LegacyOverrides.Keys.Any(key => message.Message.Contains(key, StringComparison.Ordinal)))
        {
            return;
        }

        Console.Error.WriteLine($"%{(int)message.Level}|{message.Facility}|{message.Name}| {message.Message}");
    }

    private static ClientConfig Common(string bootstrapServers) => new()
    {
        BootstrapServers = bootstrapServers,
        // librdkafka backs off up to 10 s between reconnects; after a broker restart tests should not wait that long.
        ReconnectBackoffMaxMs = 1_000,
    };

    private static T WithOverrides<T>(T config, bool legacyBroker)
        where T : ClientConfig
    {
        foreach (var (key, value) in ClientOverrides(legacyBroker))
        {
            config.Set(key, value);
        }

        return config;
    }
}
