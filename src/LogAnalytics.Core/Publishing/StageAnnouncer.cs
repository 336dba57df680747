using System.Text.Json;
using Confluent.Kafka;
using LogAnalytics.Ingestion.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Publishing;

/// <summary>Produces <c>kind: "stage"</c> events (rollout tooling announcing a stage over HTTP) to the first traffic-log
/// topic, keyed by experiment, so they are stored and replayed like any other stage event: exactly once, same path.
/// The producer is created on first use.</summary>
public sealed class StageAnnouncer(IOptions<KafkaOptions> options, TimeProvider clock, ILogger<StageAnnouncer> log) : IDisposable
{
    /// <summary>How long an announcement waits for the broker's acknowledgement.</summary>
    public static readonly TimeSpan DeliveryTimeout = TimeSpan.FromSeconds(10);

    private readonly Lazy<IProducer<string, string>> _producer = new(() =>
        new ProducerBuilder<string, string>(options.Value.BuildProducerConfig())
            .SetLogHandler((_, m) => KafkaClientLogs.Write(log, "stage producer", m))
            .Build());

    /// <summary>The topic stage events go to: the first of <c>Kafka:Topics</c>.</summary>
    public string Topic => options.Value.Topics[0];

    /// <summary>The stage event as produced: <c>{"kind":"stage","experiment","weight","timestamp"}</c>.</summary>
    public static string EventJson(string experiment, double weight, DateTimeOffset timestamp)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("kind", "stage");
            w.WriteString("experiment", experiment);
            w.WriteNumber("weight", weight);
            w.WriteString("timestamp", timestamp.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }
        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Produces the stage event and waits for the broker; throws <see cref="StageAnnouncementException"/> when it
    /// was not acknowledged (then nothing was stored).</summary>
    public async Task<StageAnnouncement> AnnounceAsync(string experiment, double weight, CancellationToken ct)
    {
        var json = EventJson(experiment, weight, clock.GetUtcNow());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(DeliveryTimeout);
        try
        {
            var report = await _producer.Value.ProduceAsync(Topic, new Message<string, string> { Key = experiment, Value = json }, timeout.Token);
            log.LogInformation("Stage {Weight} % of experiment {Experiment} announced over HTTP to {Topic}[{Partition}]@{Offset}",
                weight, experiment, report.Topic, report.Partition.Value, report.Offset.Value);
            return new StageAnnouncement(json, report.Topic, report.Partition.Value, report.Offset.Value);
        }
        catch (ProduceException<string, string> ex)
        {
            log.LogWarning("Could not announce stage {Weight} % of {Experiment} to {Topic}: {Reason}. Check that the topic exists and this client may write to it",
                weight, experiment, Topic, ex.Error.Reason);
            throw new StageAnnouncementException($"Kafka did not accept the stage event: {ex.Error.Reason}", ex);
        }
        catch (OperationCanceledException ex) when (!ct.IsCancellationRequested)
        {
            log.LogWarning("Stage {Weight} % of {Experiment} not acknowledged by {Topic} within {Timeout}; check Kafka:BootstrapServers is reachable",
                weight, experiment, Topic, DeliveryTimeout);
            throw new StageAnnouncementException($"Kafka did not acknowledge the stage event within {DeliveryTimeout.TotalSeconds:0} s", ex);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_producer.IsValueCreated)
        {
            _producer.Value.Flush(TimeSpan.FromSeconds(5));
            _producer.Value.Dispose();
        }
    }
}

/// <summary>An acknowledged stage event and where it landed.</summary>
public sealed record StageAnnouncement(string EventJson, string Topic, int Partition, long Offset);

/// <summary>A stage event Kafka did not acknowledge.</summary>
public sealed class StageAnnouncementException(string message, Exception inner) : Exception(message, inner);
