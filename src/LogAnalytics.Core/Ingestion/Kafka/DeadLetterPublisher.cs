using System.Text;
using System.Text.Json;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>
/// Publishes quarantined messages to <c>Kafka:DeadLetterTopic</c> as a JSON envelope
/// (<c>{"source","partition","offset","reason","detail","received_at","raw_base64","raw_text"}</c>), keyed like the
/// original. An envelope rather than headers, because Kafka brokers before 0.11 have no headers and the reason must
/// travel with the bytes. The quarantine table in DuckDB is the system of record; the topic is for alerting and
/// re-drive.
/// </summary>
internal sealed class DeadLetterPublisher(KafkaOptions options, ILogger<DeadLetterPublisher> log) : IDisposable
{
    private readonly IProducer<byte[]?, byte[]>? _producer = string.IsNullOrWhiteSpace(options.DeadLetterTopic)
        ? null
        : new ProducerBuilder<byte[]?, byte[]>(options.BuildProducerConfig())
            .SetLogHandler((_, m) => KafkaClientLogs.Write(log, "dead-letter producer", m))
            .Build();

    /// <summary>Publishes the batch's quarantined messages and waits (up to <paramref name="timeout"/>) for delivery.</summary>
    /// <returns>How many were delivered.</returns>
    public int Publish(IReadOnlyList<QuarantinedMessage> messages, TimeSpan timeout)
    {
        if (_producer is null || messages.Count == 0)
        {
            return 0;
        }
        var delivered = 0;
        var failed = 0;
        foreach (var m in messages)
        {
            _producer.Produce(options.DeadLetterTopic, new Message<byte[]?, byte[]> { Key = m.Key, Value = Envelope(m) }, report =>
            {
                if (report.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                }
                else
                {
                    Interlocked.Increment(ref delivered);
                }
            });
        }
        var pending = _producer.Flush(timeout);
        if (failed > 0 || pending > 0)
        {
            log.LogWarning(
                "{Failed} of {Count} quarantined messages could not be published to dead-letter topic {Topic} ({Pending} still pending); " +
                "they are kept in the quarantine table. Check that the topic exists and this client may write to it",
                failed + pending, messages.Count, options.DeadLetterTopic, pending);
        }
        return delivered;
    }

    /// <summary>The dead-letter envelope for one message.</summary>
    internal static byte[] Envelope(QuarantinedMessage m)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("source", m.Position.Source);
            w.WriteNumber("partition", m.Position.Partition);
            w.WriteNumber("offset", m.Position.Offset);
            w.WriteString("reason", m.Rejection.Reason);
            w.WriteString("detail", m.Rejection.Detail);
            w.WriteString("received_at", m.ReceivedAt);
            if (m.Raw is null)
            {
                w.WriteNull("raw_base64");
            }
            else
            {
                w.WriteBase64String("raw_base64", m.Raw);
                w.WriteString("raw_text", Encoding.UTF8.GetString(m.Raw));
            }
            w.WriteEndObject();
        }
        return stream.ToArray();
    }

    public void Dispose() => _producer?.Dispose();
}
