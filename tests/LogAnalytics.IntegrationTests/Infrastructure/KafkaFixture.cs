using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// The Kafka broker shared by the <see cref="KafkaCollection"/>: the one named by
/// <see cref="TestKafkaConfig.ExternalBrokerVariable"/>, else a <see cref="KafkaBroker"/> (Apache Kafka 0.9.0.1)
/// started for the test run. Offers the client settings for it and helpers to create, fill and read topics.
/// </summary>
public sealed class KafkaFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    private KafkaBroker? _broker;
    private string? _bootstrapServers;

    /// <summary>host:port list of the broker.</summary>
    public string BootstrapServers =>
        _bootstrapServers ?? throw new InvalidOperationException("The Kafka fixture is not initialised.");

    /// <summary>True when the broker is Apache Kafka 0.9 (clients need <see cref="ClientOverrides"/>).</summary>
    public bool IsLegacyBroker { get; private set; }

    /// <summary>True when this fixture started the broker and so can restart it.</summary>
    public bool CanRestart => _broker is not null;

    /// <summary>The librdkafka keys this broker needs, for the product's <c>Kafka:Client</c> map.</summary>
    public IReadOnlyDictionary<string, string> ClientOverrides => TestKafkaConfig.ClientOverrides(IsLegacyBroker);

    /// <summary>Configuration entries pointing the product at this broker (see
    /// <see cref="TestKafkaConfig.ConfigurationEntries"/>).</summary>
    public IEnumerable<KeyValuePair<string, string?>> ConfigurationEntries =>
        TestKafkaConfig.ConfigurationEntries(BootstrapServers, IsLegacyBroker);

    /// <summary>A topic name no other test uses.</summary>
    public static string UniqueTopic(string prefix) => $"{prefix}-{Guid.NewGuid():N}";

    /// <inheritdoc cref="TestKafkaConfig.Admin"/>
    public AdminClientConfig AdminConfig() => TestKafkaConfig.Admin(BootstrapServers, IsLegacyBroker);

    /// <inheritdoc cref="TestKafkaConfig.Producer"/>
    public ProducerConfig ProducerConfig() => TestKafkaConfig.Producer(BootstrapServers, IsLegacyBroker);

    /// <inheritdoc cref="TestKafkaConfig.Consumer"/>
    public ConsumerConfig ConsumerConfig(string groupId) => TestKafkaConfig.Consumer(BootstrapServers, IsLegacyBroker, groupId);

    public async Task InitializeAsync()
    {
        if (TestKafkaConfig.ExternalBootstrapServers is { } external)
        {
            _bootstrapServers = external;
            IsLegacyBroker = TestKafkaConfig.ExternalIsLegacy;
            Log($"Using the Kafka broker at {external} from {TestKafkaConfig.ExternalBrokerVariable} (legacy 0.9: {IsLegacyBroker}).");
            return;
        }

        var started = Stopwatch.StartNew();
        _broker = await KafkaBroker.StartAsync();
        _bootstrapServers = _broker.BootstrapServers;
        IsLegacyBroker = true;
        Log($"Started Apache Kafka 0.9.0.1 at {_broker.BootstrapServers} (ZooKeeper {_broker.ZooKeeperConnect}, " +
            $"files in {_broker.WorkDirectory}) in {started.Elapsed.TotalSeconds:0.0}s.");
    }

    public async Task DisposeAsync()
    {
        if (_broker is not null)
        {
            var stopping = Stopwatch.StartNew();
            await _broker.DisposeAsync();
            Log($"Stopped the Kafka broker and ZooKeeper in {stopping.Elapsed.TotalSeconds:0.0}s.");
        }
    }

    /// <summary>
    /// Stops the broker and starts it again on the same port and data; returns once every partition has a leader.
    /// Throws when <see cref="CanRestart"/> is false (the broker came from the environment).
    /// </summary>
    public Task RestartBrokerAsync(CancellationToken cancellationToken = default) =>
        _broker?.RestartBrokerAsync(cancellationToken) ?? throw new InvalidOperationException(
            $"The broker at {BootstrapServers} comes from {TestKafkaConfig.ExternalBrokerVariable}; only a broker the fixture started can be restarted.");

    /// <summary>
    /// Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions and one replica, and returns once
    /// every partition has a leader. (On a 0.9 broker this runs kafka.admin.TopicCommand against ZooKeeper.)
    /// </summary>
    public async Task CreateTopicAsync(string topic, int partitions, CancellationToken cancellationToken = default)
    {
        if (_broker is not null)
        {
            await _broker.CreateTopicAsync(topic, partitions, cancellationToken);
            return;
        }

        if (IsLegacyBroker)
        {
            var zooKeeper = TestKafkaConfig.ExternalZooKeeper ?? throw new NotSupportedException(
                $"Cannot create topic {topic}: a 0.9 broker has no CreateTopics request. Set {TestKafkaConfig.ExternalZooKeeperVariable} " +
                $"to its ZooKeeper, or unset {TestKafkaConfig.ExternalBrokerVariable} to let the fixture start its own broker.");
            var work = Directory.CreateTempSubdirectory("loganalytics-topic-").FullName;
            try
            {
                await KafkaTopicCommand.CreateAsync(KafkaInstallation.FindLibsDirectory(), zooKeeper, topic, partitions, work, cancellationToken);
            }
            finally
            {
                Directory.Delete(work, recursive: true);
            }

            await WaitForTopicAsync(topic, partitions, cancellationToken);
            return;
        }

        using var admin = new AdminClientBuilder(AdminConfig()).SetLogHandler((_, m) => TestKafkaConfig.WriteClientLog(m)).Build();
        await admin.CreateTopicsAsync([new() { Name = topic, NumPartitions = partitions }]);
        await WaitForTopicAsync(topic, partitions, cancellationToken);
    }

    /// <summary>
    /// Returns once <paramref name="topic"/> has <paramref name="partitions"/> partitions (any number if null), each
    /// with a leader. A broker that auto-creates topics creates a missing one on this request.
    /// </summary>
    public async Task WaitForTopicAsync(string topic, int? partitions = null, CancellationToken cancellationToken = default)
    {
        var lastLog = "";
        var state = "";
        using var admin = KafkaMetadata.CreateQuietAdmin(AdminConfig(), m => lastLog = m);
        await Poll.UntilAsync(
            async () =>
            {
                (var ready, state) = await KafkaMetadata.TopicReadyAsync(admin, topic, partitions);
                return ready;
            },
            ReadTimeout,
            () => $"topic {topic} not ready: {state}; last client log: {lastLog}",
            cancellationToken);
    }

    /// <summary>
    /// Produces <paramref name="messages"/> (string key, possibly null, and value) and returns once every one is
    /// acknowledged, with where each landed (in the order given). Throws if any delivery failed. Any number of
    /// messages: when librdkafka's queue is full it waits for deliveries before queueing more.
    /// </summary>
    public Task<IReadOnlyList<KafkaRecord>> ProduceAsync(
        string topic,
        IEnumerable<(string? Key, string Value)> messages,
        CancellationToken cancellationToken = default) =>
        Task.Run(() => Produce(topic, messages, cancellationToken), cancellationToken);

    /// <summary>
    /// What the log holds: every message of every partition of <paramref name="topic"/> from the low to the high
    /// watermark as of the call, ordered by partition and offset. Reads by assignment, so no consumer group is
    /// involved and no offsets are committed.
    /// </summary>
    public async Task<IReadOnlyList<KafkaRecord>> ReadAllAsync(string topic, CancellationToken cancellationToken = default)
    {
        var partitions = await PartitionsOfAsync(topic, cancellationToken);
        return await Task.Run(() => ReadAll(topic, partitions, cancellationToken), cancellationToken);
    }

    private IReadOnlyList<KafkaRecord> Produce(
        string topic,
        IEnumerable<(string? Key, string Value)> messages,
        CancellationToken cancellationToken)
    {
        using var producer = new ProducerBuilder<string?, string>(ProducerConfig())
            .SetLogHandler((_, m) => TestKafkaConfig.WriteClientLog(m))
            .Build();
        var reports = new ConcurrentDictionary<int, DeliveryReport<string?, string>>();
        var count = 0;
        foreach (var (key, value) in messages)
        {
            var index = count++;
            var message = new Message<string?, string> { Key = key, Value = value };
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                try
                {
                    producer.Produce(topic, message, report => reports[index] = report);
                    break;
                }
                catch (ProduceException<string?, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(100));
                }
            }
        }

        // Every message gets a report by message.timeout.ms at the latest, so this ends.
        producer.Flush(cancellationToken);
        var failures = reports.Values.Where(r => r.Error.IsError).ToList();
        if (failures.Count > 0)
        {
            throw new InvalidOperationException(
                $"{failures.Count} of {count} messages to {topic} were not delivered; first error: {failures[0].Error.Code} {failures[0].Error.Reason}");
        }

        return Enumerable.Range(0, count)
            .Select(i => reports[i])
            .Select(r => new KafkaRecord(r.Partition.Value, r.Offset.Value, r.Message.Key, r.Message.Value))
            .ToList();
    }

    private IReadOnlyList<KafkaRecord> ReadAll(string topic, IReadOnlyList<int> partitions, CancellationToken cancellationToken)
    {
        var config = ConsumerConfig($"read-all-{Guid.NewGuid():N}");
        config.EnableAutoCommit = false;
        config.EnableAutoOffsetStore = false;
        using var consumer = new ConsumerBuilder<string?, string?>(config).SetLogHandler((_, m) => TestKafkaConfig.WriteClientLog(m)).Build();

        var end = new Dictionary<int, long>();
        var start = new List<TopicPartitionOffset>();
        foreach (var partition in partitions)
        {
            var tp = new TopicPartition(topic, partition);
            var watermarks = consumer.QueryWatermarkOffsets(tp, RequestTimeout);
            if (watermarks.High > watermarks.Low)
            {
                end[partition] = watermarks.High;
                start.Add(new TopicPartitionOffset(tp, watermarks.Low));
            }
        }

        var records = new List<KafkaRecord>();
        if (start.Count == 0)
        {
            return records;
        }

        consumer.Assign(start);
        var next = start.ToDictionary(s => s.Partition.Value, s => s.Offset.Value);
        var deadline = Stopwatch.StartNew();
        while (next.Any(n => n.Value < end[n.Key]))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (deadline.Elapsed > ReadTimeout)
            {
                var missing = string.Join(", ", next.Where(n => n.Value < end[n.Key]).Select(n => $"[{n.Key}] at {n.Value} of {end[n.Key]}"));
                throw new TimeoutException($"Reading {topic} to its high watermark took over {ReadTimeout}; still missing {missing}.");
            }

            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null || result.IsPartitionEOF)
            {
                continue;
            }

            var partition = result.Partition.Value;
            if (result.Offset.Value < end[partition])
            {
                records.Add(new KafkaRecord(partition, result.Offset.Value, result.Message.Key, result.Message.Value));
            }

            next[partition] = result.Offset.Value + 1;
        }

        consumer.Close();
        return records.OrderBy(r => r.Partition).ThenBy(r => r.Offset).ToList();
    }

    private async Task<IReadOnlyList<int>> PartitionsOfAsync(string topic, CancellationToken cancellationToken)
    {
        await WaitForTopicAsync(topic, cancellationToken: cancellationToken);
        using var admin = new AdminClientBuilder(AdminConfig()).SetLogHandler((_, m) => TestKafkaConfig.WriteClientLog(m)).Build();
        var metadata = await Task.Run(() => admin.GetMetadata(topic, RequestTimeout), cancellationToken);
        return metadata.Topics.Single(t => t.Topic == topic).Partitions.Select(p => p.PartitionId).Order().ToList();
    }

    private void Log(string message) => diagnostics.OnMessage(new DiagnosticMessage(message));
}
