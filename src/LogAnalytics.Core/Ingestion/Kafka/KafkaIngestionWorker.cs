using System.Diagnostics;
using Confluent.Kafka;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>
/// The consume loop: Kafka -> decode -> batch -> DuckDB. Rows and the offsets they cover are written in one DuckDB
/// transaction; on assignment the consumer seeks to the offsets stored in DuckDB, so after a crash at any moment each
/// valid event is stored exactly once. Kafka-side offset commits are advisory (for lag monitoring).
/// </summary>
internal sealed class KafkaIngestionWorker(
    IOptions<KafkaOptions> kafkaOptions,
    IOptions<IngestionOptions> ingestionOptions,
    EventStoreProvider storeProvider,
    IngestionStatistics statistics,
    TimeProvider clock,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly TimeSpan DeadLetterTimeout = TimeSpan.FromSeconds(10);
    private readonly ILogger _log = loggerFactory.CreateLogger<KafkaIngestionWorker>();
    private readonly KafkaOptions _kafka = kafkaOptions.Value;
    private readonly IngestionOptions _options = ingestionOptions.Value;
    private readonly IngestBatch _batch = new();
    private readonly Dictionary<(string, int), long> _nextOffsets = new();
    private volatile bool _fatal;

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken stoppingToken)
    {
        try
        {
            ConsumeLoop(stoppingToken);
        }
        catch (Exception ex)
        {
            _log.LogCritical(ex,
                "Ingestion stopped: {Error}. Nothing was lost: offsets only advance with stored rows, so a restart resumes " +
                "where the last stored batch ended. Fix the cause (database file writable? disk space? Kafka reachable?) and restart",
                ex.Message);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
    }

    private void ConsumeLoop(CancellationToken stoppingToken)
    {
        var store = storeProvider.Store;
        var decoder = new EventDecoder(clock, TimeSpan.FromMinutes(_options.MaxFutureSkewMinutes));
        using var deadLetters = new DeadLetterPublisher(_kafka, loggerFactory.CreateLogger<DeadLetterPublisher>());
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(_kafka.BuildConsumerConfig())
            .SetPartitionsAssignedHandler((c, partitions) =>
            {
                var positions = OnAssigned(store, partitions);
                statistics.RecordAssignment(c.Assignment.Count + partitions.Count);
                return positions;
            })
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, store, deadLetters, partitions))
            .SetPartitionsLostHandler((_, partitions) =>
            {
                OnLost(partitions);
                statistics.RecordAssignment(0);
            })
            .SetErrorHandler((_, e) => OnError(e))
            .Build();

        consumer.Subscribe(_kafka.Topics);
        _log.LogInformation("Consuming {Topics} as group {GroupId} from {BootstrapServers} into {DatabasePath}",
            _kafka.Topics, _kafka.GroupId, _kafka.BootstrapServers, store.DatabasePath);

        var batchAge = new Stopwatch();
        var maxDelay = TimeSpan.FromMilliseconds(_options.BatchMaxDelayMs);
        while (!stoppingToken.IsCancellationRequested && !_fatal)
        {
            var wait = _batch.Count == 0 ? TimeSpan.FromMilliseconds(250) : maxDelay - batchAge.Elapsed;
            ConsumeResult<byte[]?, byte[]?>? result = null;
            try
            {
                result = consumer.Consume(wait < TimeSpan.Zero ? TimeSpan.Zero : wait);
            }
            catch (ConsumeException ex) when (!ex.Error.IsFatal)
            {
                _log.LogWarning("Could not consume a message at {Topic}[{Partition}]@{Offset}: {Reason}; continuing",
                    ex.ConsumerRecord?.Topic, ex.ConsumerRecord?.Partition.Value, ex.ConsumerRecord?.Offset.Value, ex.Error.Reason);
            }

            if (result is { IsPartitionEOF: false, Message: not null })
            {
                if (_batch.Count == 0)
                {
                    batchAge.Restart();
                }
                Add(decoder, result);
            }

            if (_batch.Count > 0 && (_batch.Count >= _options.BatchMaxEvents || batchAge.Elapsed >= maxDelay))
            {
                Flush(consumer, store, deadLetters);
            }
        }

        // SIGTERM / Ctrl-C: finish the current batch, then leave the group.
        Flush(consumer, store, deadLetters);
        consumer.Close();
        _log.LogInformation("Ingestion stopped cleanly after storing the current batch");
    }

    private void Add(EventDecoder decoder, ConsumeResult<byte[]?, byte[]?> result)
    {
        var position = new SourcePosition(result.Topic, result.Partition.Value, result.Offset.Value);
        if (_nextOffsets.TryGetValue((position.Source, position.Partition), out var next) && position.Offset < next)
        {
            return; // already stored (a redelivery): never twice
        }
        var value = result.Message.Value;
        DecodeResult decoded;
        try
        {
            decoded = decoder.Decode(value);
        }
        catch (Exception ex)
        {
            decoded = DecodeResult.Reject("decoder_error", ex.Message);
        }
        _batch.Add(position, decoded, result.Message.Key, value, clock.GetUtcNow());
        statistics.RecordConsumed(decoded.IsAccepted);
    }

    private void Flush(IConsumer<byte[]?, byte[]?> consumer, DuckDbEventStore store, DeadLetterPublisher deadLetters)
    {
        if (_batch.NextOffsets.Count == 0)
        {
            return;
        }
        deadLetters.Publish(_batch.Quarantined, DeadLetterTimeout);
        var written = WriteWithRetry(store);
        foreach (var ((topic, partition), next) in _batch.NextOffsets)
        {
            _nextOffsets[(topic, partition)] = next;
            try
            {
                consumer.StoreOffset(new TopicPartitionOffset(topic, partition, next));
            }
            catch (KafkaException)
            {
                // The partition was revoked meanwhile; DuckDB holds the offset that matters.
            }
        }
        statistics.RecordStored(written);
        _log.LogDebug("Stored {Requests} requests, {Validations} validations, {Stages} stage events, {Quarantined} quarantined",
            written.Requests, written.Validations, written.Stages, written.Quarantined);
        if (written.Quarantined > 0)
        {
            _log.LogWarning("Quarantined {Count} bad messages (see the quarantine table or {DeadLetterTopic}); ingestion continues",
                written.Quarantined, _kafka.DeadLetterTopic);
        }
        _batch.Clear();
    }

    private BatchWriteResult WriteWithRetry(DuckDbEventStore store)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return store.Write(_batch);
            }
            catch (Exception ex) when (attempt < 5)
            {
                var backoff = TimeSpan.FromMilliseconds(200 * Math.Pow(2, attempt));
                _log.LogError(ex, "Writing a batch of {Count} messages to {DatabasePath} failed (attempt {Attempt}); retrying in {Backoff}. " +
                    "Check free disk space and that no other process holds the file", _batch.Count, store.DatabasePath, attempt, backoff);
                Task.Delay(backoff, CancellationToken.None).GetAwaiter().GetResult();
            }
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(DuckDbEventStore store, List<TopicPartition> partitions)
    {
        var result = new List<TopicPartitionOffset>(partitions.Count);
        foreach (var topic in partitions.Select(p => p.Topic).Distinct())
        {
            var stored = store.LoadOffsets(topic);
            foreach (var tp in partitions.Where(p => p.Topic == topic))
            {
                if (stored.TryGetValue(tp.Partition.Value, out var next))
                {
                    _nextOffsets[(topic, tp.Partition.Value)] = next;
                    result.Add(new TopicPartitionOffset(tp, new Offset(next)));
                }
                else
                {
                    _nextOffsets.Remove((topic, tp.Partition.Value));
                    result.Add(new TopicPartitionOffset(tp, Offset.Unset));
                }
            }
        }
        _log.LogInformation("Assigned {Partitions}; resuming from the offsets stored in DuckDB",
            string.Join(", ", result.Select(r => $"{r.Topic}[{r.Partition.Value}]@{(r.Offset == Offset.Unset ? "start" : r.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}")));
        return result;
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, DuckDbEventStore store, DeadLetterPublisher deadLetters, List<TopicPartitionOffset> partitions)
    {
        _log.LogInformation("Partitions revoked: {Partitions}; storing the current batch first",
            string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
        Flush(consumer, store, deadLetters);
        foreach (var p in partitions)
        {
            _nextOffsets.Remove((p.Topic, p.Partition.Value));
        }
        statistics.RecordAssignment(Math.Max(0, consumer.Assignment.Count - partitions.Count));
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        _log.LogWarning("Partitions lost: {Partitions}; dropping their unstored messages (another consumer re-reads them from the stored offsets)",
            string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
        _batch.DropPartitions(partitions.Select(p => (p.Topic, p.Partition.Value)));
        foreach (var p in partitions)
        {
            _nextOffsets.Remove((p.Topic, p.Partition.Value));
        }
    }

    private void OnError(Error error)
    {
        if (error.IsFatal)
        {
            _fatal = true;
            _log.LogCritical("Fatal Kafka error {Code}: {Reason}. The worker stops; check Kafka:BootstrapServers and Kafka:Client (security settings)",
                error.Code, error.Reason);
            Environment.ExitCode = 1;
            lifetime.StopApplication();
        }
        else
        {
            _log.LogWarning("Kafka: {Reason} ({Code}); the client retries by itself. If it persists, check that Kafka:BootstrapServers {BootstrapServers} is reachable",
                error.Reason, error.Code, _kafka.BootstrapServers);
        }
    }
}
