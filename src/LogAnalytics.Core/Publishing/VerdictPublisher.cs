using System.Text;
using Confluent.Kafka;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Verdicts;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Publishing;

/// <summary>Publishes verdicts to <c>Kafka:VerdictTopic</c>, keyed by experiment id (a compacted topic then holds the
/// latest verdict of every experiment).</summary>
internal sealed class VerdictPublisher(KafkaOptions options, ILogger<VerdictPublisher> log) : IDisposable
{
    private static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(15);
    private readonly IProducer<string, string>? _producer = string.IsNullOrWhiteSpace(options.VerdictTopic)
        ? null
        : new ProducerBuilder<string, string>(options.BuildProducerConfig())
            .SetLogHandler((_, m) => KafkaClientLogs.Write(log, "verdict producer", m))
            .Build();

    /// <summary>Publishes and waits for delivery; returns false (and logs what to do) when it could not.</summary>
    public bool Publish(Verdict verdict)
    {
        if (_producer is null)
        {
            return false;
        }
        try
        {
            var task = _producer.ProduceAsync(options.VerdictTopic, new Message<string, string> { Key = verdict.Experiment, Value = verdict.ToJson() });
            if (!task.Wait(DeliveryTimeout))
            {
                log.LogWarning("Verdict for {Experiment} not acknowledged by {VerdictTopic} within {Timeout}; it is in the verdicts table and will be published again at the next evaluation",
                    verdict.Experiment, options.VerdictTopic, DeliveryTimeout);
                return false;
            }
            return true;
        }
        catch (AggregateException ex) when (ex.InnerException is ProduceException<string, string> pe)
        {
            log.LogWarning("Could not publish the verdict for {Experiment} to {VerdictTopic}: {Reason}. It is in the verdicts table; check the topic exists and this client may write to it",
                verdict.Experiment, options.VerdictTopic, pe.Error.Reason);
            return false;
        }
    }

    public void Dispose() => _producer?.Dispose();
}
