using System.Diagnostics;
using Confluent.Kafka;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Ingestion.Kafka;

/// <summary>
/// The consume loop: Kafka -> decode -> batch -> DuckDB, pipelined. This thread only polls Kafka and hands chunks of
/// messages to the <see cref="IngestionPipeline"/>, which decodes them in parallel and writes batches on its own thread
/// while polling goes on. Rows and the offsets they cover are written in one DuckDB transaction; on assignment the
/// consumer seeks to the offsets stored in DuckDB, so after a crash at any moment each valid event is stored exactly
/// once. Kafka-side offset commits are advisory (for lag monitoring).
/// </summary>
internal sealed class KafkaIngestionWorker(
    IOptions<KafkaOptions> kafkaOptions,
    IOptions<IngestionOptions> ingestionOptions,
    EventStoreProvider storeProvider,
    IOptions<StorageOptions> storageOptions,
    IngestionStatistics statistics,
    TimeProvider clock,
    ILoggerFactory loggerFactory,
    IHostApplicationLifetime lifetime) : BackgroundService
{
    private static readonly TimeSpan MetadataTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan OwnershipRetry = TimeSpan.FromSeconds(1);
    private readonly ILogger _log = loggerFactory.CreateLogger<KafkaIngestionWorker>();
    private readonly KafkaOptions _kafka = kafkaOptions.Value;
    private readonly IngestionOptions _options = ingestionOptions.Value;
    private MessageChunk _chunk = MessageChunk.Rent();
    private readonly Stopwatch _chunkAge = new();
    private IngestionPipeline? _pipeline;
    private bool _ownershipDirty;
    private bool _ownershipWarned;
    private readonly Stopwatch _ownershipCheckedAgo = new();
    private CriPartialLineJoiner _partials = new(ingestionOptions.Value.MaxMessageBytes);
    private readonly List<(SourcePosition Position, byte[] Raw)> _released = new();
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
        var decoder = _options.CreateDecoder(clock);
        using var deadLetters = new DeadLetterPublisher(_kafka, loggerFactory.CreateLogger<DeadLetterPublisher>());
        using var pipeline = _pipeline = new IngestionPipeline(store, decoder, deadLetters, statistics, clock, _log, _kafka.DeadLetterTopic,
            _options.BatchMaxEvents, TimeSpan.FromMilliseconds(_options.BatchMaxDelayMs))
        {
            SharedLakePath = storageOptions.Value.LakeShared ? storageOptions.Value.EffectiveLakePath : null,
        };
        using var consumer = new ConsumerBuilder<byte[]?, byte[]?>(_kafka.BuildConsumerConfig())
            .SetPartitionsAssignedHandler((c, partitions) =>
            {
                var positions = OnAssigned(partitions);
                statistics.RecordAssignment(c.Assignment.Count + partitions.Count);
                return positions;
            })
            .SetPartitionsRevokedHandler((c, partitions) => OnRevoked(c, partitions))
            .SetPartitionsLostHandler((_, partitions) =>
            {
                OnLost(partitions);
                statistics.RecordAssignment(0);
            })
            .SetErrorHandler((_, e) => OnError(e))
            .SetLogHandler((_, m) => KafkaClientLogs.Write(_log, "consumer", m))
            .SetStatisticsHandler((_, json) => statistics.RecordConsumerLag(json))
            .Build();
        using var admin = new DependentAdminClientBuilder(consumer.Handle).Build();

        pipeline.Start(consumer);
        consumer.Subscribe(_kafka.Topics);
        _log.LogInformation("Consuming {Topics} as group {GroupId} from {BootstrapServers} into {DatabasePath} " +
            "({ChunkSize} messages per decode task, up to {Capacity} in flight)",
            _kafka.Topics, _kafka.GroupId, _kafka.BootstrapServers, store.DatabasePath, pipeline.ChunkSize, pipeline.Capacity);

        // A chunk is handed on when full, when no message came within the wait, or at the latest after a fifth of
        // Ingestion:BatchMaxDelayMs, so the batch deadline still holds.
        var chunkMaxAge = TimeSpan.FromMilliseconds(Math.Clamp(_options.BatchMaxDelayMs / 5, 1, 100));
        var polls = 0;
        statistics.RecordProgress(clock.GetUtcNow());
        while (!stoppingToken.IsCancellationRequested && !_fatal)
        {
            pipeline.ThrowIfFailed();
            // The clock is read once per message (it showed in profiles at three reads per message): the chunk's age
            // from before the poll decides both the wait and the hand-over, which may so come one message later.
            var age = _chunk.Count == 0 ? TimeSpan.Zero : _chunkAge.Elapsed;
            var wait = _chunk.Count == 0 ? TimeSpan.FromMilliseconds(250) : chunkMaxAge - age;
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

            if (result is null || (++polls & 255) == 0)
            {
                statistics.RecordProgress(clock.GetUtcNow()); // alive: at every empty poll, and every 256 messages
            }
            if (result is { IsPartitionEOF: false, Message: not null })
            {
                if (_chunk.Count == 0)
                {
                    _chunkAge.Restart();
                }
                Offer(result);
            }
            if (_chunk.Count > 0 && (_chunk.IsFull(pipeline.ChunkSize) || result is null || age >= chunkMaxAge))
            {
                HandOver();
            }
            if (_ownershipDirty && (!_ownershipCheckedAgo.IsRunning || _ownershipCheckedAgo.Elapsed >= OwnershipRetry))
            {
                CheckOwnership(consumer, admin);
            }
        }

        // SIGTERM / Ctrl-C: store what was received, then leave the group.
        HandOver();
        if (!pipeline.Failed)
        {
            pipeline.Flush([]);
        }
        consumer.Close();
        pipeline.Complete();
        pipeline.ThrowIfFailed();
        _log.LogInformation("Ingestion stopped cleanly after storing the current batch");
    }

    /// <summary>Adds a message to the chunk, Kubernetes CRI partial lines joined to their final line first (held
    /// ones are not handed on, so they advance no offset until their chain is stored).</summary>
    private void Offer(ConsumeResult<byte[]?, byte[]?> result)
    {
        var position = new SourcePosition(result.Topic, result.Partition.Value, result.Offset.Value);
        var outcome = _partials.Offer(position, result.Message.Value, _released, out var joined);
        foreach (var (releasedPosition, raw) in _released)
        {
            _chunk.Add(releasedPosition.Source, releasedPosition.Partition, releasedPosition.Offset, result.Message.Key, raw);
        }
        _released.Clear();
        if (outcome != JoinOutcome.Held)
        {
            // Copied: the client's result is garbage from here on, young enough to cost the collector nothing.
            _chunk.Add(result.Topic, result.Partition.Value, result.Offset.Value, result.Message.Key,
                outcome == JoinOutcome.Joined ? joined : result.Message.Value);
        }
    }

    private void HandOver()
    {
        if (_chunk.Count == 0 || _pipeline is null)
        {
            return;
        }
        var chunk = _chunk;
        _chunk = MessageChunk.Rent();
        _pipeline.Post(chunk);
    }

    /// <summary>Decides <see cref="IngestionStatistics.Ownership"/>: the assignment against the topics' partition
    /// counts from the broker's metadata. Retried every second while the metadata cannot be read.</summary>
    private void CheckOwnership(IConsumer<byte[]?, byte[]?> consumer, IAdminClient admin)
    {
        _ownershipCheckedAgo.Restart();
        try
        {
            var assignment = consumer.Assignment;
            int owned = 0, total = 0;
            // A topic starting with ^ is a regular expression (librdkafka's convention): every matching topic counts.
            var all = _kafka.Topics.Any(t => t.StartsWith('^')) ? admin.GetMetadata(MetadataTimeout) : null;
            foreach (var topic in _kafka.Topics)
            {
                var matching = all is not null && topic.StartsWith('^')
                    ? all.Topics.Where(t => System.Text.RegularExpressions.Regex.IsMatch(t.Topic, topic)).ToList()
                    : admin.GetMetadata(topic, MetadataTimeout).Topics.Where(t => t.Topic == topic).ToList();
                if (matching.Count == 0 && !topic.StartsWith('^'))
                {
                    return; // unknown for now; try again
                }
                foreach (var partitions in matching)
                {
                    if (partitions.Error.IsError && partitions.Error.Code != ErrorCode.UnknownTopicOrPart)
                    {
                        return; // unknown for now; try again
                    }
                    total += partitions.Partitions.Count;
                    owned += assignment.Count(a => a.Topic == partitions.Topic && partitions.Partitions.Any(p => p.PartitionId == a.Partition.Value));
                }
            }
            var state = owned == total ? PartitionOwnership.All : PartitionOwnership.Partial;
            statistics.RecordOwnership(state, owned, total);
            _ownershipDirty = false;
            _ownershipWarned = false;
            _log.LogInformation("This worker owns {Owned} of the {Total} partitions of {Topics} ({Ownership})",
                owned, total, _kafka.Topics, state);
        }
        catch (KafkaException ex) when (_ownershipWarned)
        {
            _log.LogDebug("Partition counts of {Topics} still unreadable: {Reason}", _kafka.Topics, ex.Error.Reason);
        }
        catch (KafkaException ex)
        {
            _ownershipWarned = true;
            _log.LogWarning("Could not read the partition counts of {Topics} to tell whether this worker owns all of them: {Reason}. " +
                "Verdicts wait until it can; check that Kafka:BootstrapServers is reachable", _kafka.Topics, ex.Error.Reason);
        }
    }

    private List<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        var pipeline = _pipeline!;
        var result = pipeline.LoadPositions(partitions);
        _ownershipDirty = true;
        _ownershipCheckedAgo.Reset();
        _log.LogInformation(pipeline.SharedLakePath is null
                ? "Assigned {Partitions}; resuming from the offsets stored in DuckDB"
                : "Assigned {Partitions}; resuming from the later of the offsets stored in DuckDB and those durable in the shared lake",
            string.Join(", ", result.Select(r => $"{r.Topic}[{r.Partition.Value}]@{(r.Offset == Offset.Unset ? "start" : r.Offset.Value.ToString(System.Globalization.CultureInfo.InvariantCulture))}")));
        return result;
    }

    private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> partitions)
    {
        _log.LogInformation("Partitions revoked: {Partitions}; storing the messages received so far first",
            string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
        // Unknown until the next assignment is checked (the assigned handler marks it for checking).
        statistics.RecordOwnership(PartitionOwnership.Unknown, 0, 0);
        _ownershipDirty = false;
        if (_pipeline is { Failed: false } pipeline)
        {
            // Everything received before the revocation, queued or in the batch being written, is stored before the
            // partitions go to another consumer (which resumes from the offsets this stores).
            HandOver();
            pipeline.Flush(partitions.Select(p => (p.Topic, p.Partition.Value)).ToList());
        }
        foreach (var p in partitions)
        {
            _partials.Drop(p.Topic, p.Partition.Value);
        }
        statistics.RecordAssignment(Math.Max(0, consumer.Assignment.Count - partitions.Count));
    }

    private void OnLost(List<TopicPartitionOffset> partitions)
    {
        _log.LogWarning("Partitions lost: {Partitions}; dropping their unstored messages (another consumer re-reads them from the stored offsets)",
            string.Join(", ", partitions.Select(p => $"{p.Topic}[{p.Partition.Value}]")));
        statistics.RecordOwnership(PartitionOwnership.Unknown, 0, 0);
        _ownershipDirty = false;
        if (_pipeline is { Failed: false } pipeline)
        {
            var lost = partitions.Select(p => (p.Topic, p.Partition.Value)).ToList();
            HandOver();
            pipeline.Drop(lost);
        }
        foreach (var p in partitions)
        {
            _partials.Drop(p.Topic, p.Partition.Value);
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
