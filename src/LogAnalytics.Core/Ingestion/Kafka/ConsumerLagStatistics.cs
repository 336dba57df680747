using System.Text.Json;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>Reads the consumer lag per topic-partition out of librdkafka's statistics JSON
/// (<c>statistics.interval.ms</c>): <c>topics.&lt;t&gt;.partitions.&lt;p&gt;.consumer_lag</c>. Pure.</summary>
public static class ConsumerLagStatistics
{
    /// <summary>The lag (messages behind the partition's high watermark) of every partition this consumer fetches;
    /// partitions whose lag librdkafka does not know (-1), and its internal partition -1, are left out.</summary>
    /// <exception cref="JsonException">Not librdkafka statistics JSON.</exception>
    public static IReadOnlyDictionary<(string Topic, int Partition), long> Parse(string json)
    {
        var lag = new Dictionary<(string, int), long>();
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("topics", out var topics) || topics.ValueKind != JsonValueKind.Object)
        {
            return lag;
        }
        foreach (var topic in topics.EnumerateObject())
        {
            if (!topic.Value.TryGetProperty("partitions", out var partitions) || partitions.ValueKind != JsonValueKind.Object)
            {
                continue;
            }
            foreach (var p in partitions.EnumerateObject())
            {
                if (!int.TryParse(p.Name, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var partition)
                    || partition < 0
                    || !p.Value.TryGetProperty("consumer_lag", out var value)
                    || !value.TryGetInt64(out var messages)
                    || messages < 0)
                {
                    continue;
                }
                lag[(topic.Name, partition)] = messages;
            }
        }
        return lag;
    }
}
