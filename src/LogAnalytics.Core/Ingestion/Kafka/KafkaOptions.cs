using Confluent.Kafka;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>Configuration section <c>Kafka</c> (a public contract: routers' topics in, verdicts out).</summary>
public sealed class KafkaOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Kafka";

    /// <summary><c>Kafka:BootstrapServers</c>: comma-separated host:port list. Required.</summary>
    public string BootstrapServers { get; set; } = "";

    /// <summary><c>Kafka:Topics</c>: the traffic-log topics to consume. At least one (config/appsettings.json ships <c>["router-logs"]</c>).</summary>
    public string[] Topics { get; set; } = [];

    /// <summary><c>Kafka:GroupId</c>: the consumer group. Default <c>loganalytics</c>.</summary>
    public string GroupId { get; set; } = "loganalytics";

    /// <summary><c>Kafka:DeadLetterTopic</c>: where quarantined messages are also published (a JSON envelope with
    /// the reason and the raw bytes). Default <c>router-logs-dlq</c>; empty disables it (the quarantine table
    /// still holds them).</summary>
    public string DeadLetterTopic { get; set; } = "router-logs-dlq";

    /// <summary><c>Kafka:VerdictTopic</c>: where verdicts are published, keyed by experiment. Default <c>canary-verdicts</c>.</summary>
    public string VerdictTopic { get; set; } = "canary-verdicts";

    /// <summary><c>Kafka:Client</c>: librdkafka properties passed verbatim to every client (consumer, producers),
    /// e.g. <c>security.protocol</c>, <c>sasl.mechanism</c>, <c>sasl.username</c>, <c>api.version.request</c>.</summary>
    public Dictionary<string, string> Client { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The consumer configuration: <see cref="Client"/> first, then the keys exactly-once ingestion needs.</summary>
    public ConsumerConfig BuildConsumerConfig()
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(Client, StringComparer.Ordinal))
        {
            BootstrapServers = BootstrapServers,
            GroupId = GroupId,
            // Offsets live in DuckDB, written with the rows. Kafka's committed offsets are advisory (for lag monitoring),
            // so they are stored by hand after each durable batch and auto-committed in the background.
            EnableAutoCommit = true,
            EnableAutoOffsetStore = false,
            ClientId = Client.GetValueOrDefault("client.id") ?? "loganalytics",
        };
        // Defaults that Kafka:Client may override. (Setting a property to null would remove the key given in Client.)
        if (!Client.ContainsKey("auto.offset.reset"))
        {
            // With no offset in DuckDB or in the group, start from the oldest retained message: losing nothing.
            config.AutoOffsetReset = AutoOffsetReset.Earliest;
        }
        if (!Client.ContainsKey("statistics.interval.ms"))
        {
            // librdkafka statistics every 15 s feed the consumer-lag metric (loganalytics_consumer_lag_messages).
            config.StatisticsIntervalMs = 15_000;
        }
        return config;
    }

    /// <summary>A producer configuration (dead letters, verdicts): <see cref="Client"/> plus the bootstrap servers.</summary>
    public ProducerConfig BuildProducerConfig() => new(new Dictionary<string, string>(Client, StringComparer.Ordinal))
    {
        BootstrapServers = BootstrapServers,
        ClientId = Client.GetValueOrDefault("client.id") ?? "loganalytics",
    };
}
