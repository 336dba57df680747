using System.Collections.Concurrent;
using System.Diagnostics;
using Confluent.Kafka;
using Xunit;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>Proof that the Kafka fixture gives tests a real, working broker: topics, produce, read, restart, groups.</summary>
[Collection(KafkaCollection.Name)]
public sealed class BrokerSmokeTests(KafkaFixture kafka, ITestOutputHelper output)
{
    private static readonly TimeSpan GroupTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task ReadAll_returns_exactly_the_messages_produced_to_a_created_topic()
    {
        var topic = KafkaFixture.UniqueTopic("smoke-read-all");
        await kafka.CreateTopicAsync(topic, partitions: 3);

        var sent = Messages("a", 300);
        var delivered = await kafka.ProduceAsync(topic, sent);
        var log = await kafka.ReadAllAsync(topic);

        Assert.Equal(300, log.Count);
        Assert.Equal(sent.ToHashSet(), log.Select(r => (r.Key, r.Value!)).ToHashSet());
        Assert.Equal(delivered.ToHashSet(), log.ToHashSet());
        // The topic has the 3 partitions asked for, not the broker's default of 4, and keys spread over all of them.
        Assert.Equal([0, 1, 2], log.Select(r => r.Partition).Distinct().Order());
        // Keys decide the partition: one key, one partition.
        Assert.All(log.GroupBy(r => r.Key), g => Assert.Single(g.Select(r => r.Partition).Distinct()));
    }

    [Fact]
    public async Task Broker_restart_keeps_the_log_and_serves_producers_and_groups_again()
    {
        var topic = KafkaFixture.UniqueTopic("smoke-restart");
        await kafka.CreateTopicAsync(topic, partitions: 2);
        var before = Messages("before", 100);
        var deliveredBefore = await kafka.ProduceAsync(topic, before);

        if (kafka.CanRestart)
        {
            var restart = Stopwatch.StartNew();
            await kafka.RestartBrokerAsync();
            output.WriteLine($"Broker restarted and ready in {restart.Elapsed.TotalSeconds:0.0}s.");
        }
        else
        {
            output.WriteLine($"Not restarting: the broker at {kafka.BootstrapServers} comes from " +
                $"{TestKafkaConfig.ExternalBrokerVariable}. The rest of the scenario runs; the restart needs a broker the fixture owns.");
        }

        var after = Messages("after", 100);
        var deliveredAfter = await kafka.ProduceAsync(topic, after);
        var log = await kafka.ReadAllAsync(topic);

        // Nothing acknowledged is lost and nothing unsent appears.
        Assert.Subset(log.ToHashSet(), deliveredBefore.Concat(deliveredAfter).ToHashSet());
        Assert.Equal(before.Concat(after).ToHashSet(), log.Select(r => (r.Key, r.Value!)).ToHashSet());

        // A consumer group (coordinator, offsets topic, join and sync) works after the restart too.
        await using var member = GroupMember.Start(kafka.ConsumerConfig($"smoke-restart-{Guid.NewGuid():N}"), topic);
        await Poll.UntilAsync(
            () => Task.FromResult(member.Consumed.Count >= log.Count),
            GroupTimeout,
            () => $"group member consumed {member.Consumed.Count} of {log.Count} records; {member.LastError}",
            CancellationToken.None);
        Assert.Equal(log.ToHashSet(), member.Consumed.Keys.ToHashSet());
    }

    [Fact]
    public async Task Two_members_of_a_group_split_the_partitions_and_together_read_the_whole_log()
    {
        var topic = KafkaFixture.UniqueTopic("smoke-group");
        await kafka.CreateTopicAsync(topic, partitions: 4);
        await kafka.ProduceAsync(topic, Messages("g", 400));
        var log = await kafka.ReadAllAsync(topic);
        var groupId = $"smoke-group-{Guid.NewGuid():N}";
        var all = Enumerable.Range(0, 4).ToHashSet();

        await using var first = GroupMember.Start(kafka.ConsumerConfig(groupId), topic);
        await Poll.UntilAsync(
            () => Task.FromResult(first.AssignedPartitions.SetEquals(all)),
            GroupTimeout,
            () => $"first member has [{string.Join(", ", first.AssignedPartitions)}], expected all 4; {first.LastError}",
            CancellationToken.None);

        var rebalance = Stopwatch.StartNew();
        await using var second = GroupMember.Start(kafka.ConsumerConfig(groupId), topic);
        await Poll.UntilAsync(
            () => Task.FromResult(
                first.AssignedPartitions.Count > 0 && second.AssignedPartitions.Count > 0 &&
                !first.AssignedPartitions.Overlaps(second.AssignedPartitions) &&
                first.AssignedPartitions.Union(second.AssignedPartitions).ToHashSet().SetEquals(all)),
            GroupTimeout,
            () => $"no split: first [{string.Join(", ", first.AssignedPartitions)}], second [{string.Join(", ", second.AssignedPartitions)}]; " +
                $"{first.LastError} {second.LastError}",
            CancellationToken.None);
        output.WriteLine($"Rebalance to two members took {rebalance.Elapsed.TotalSeconds:0.0}s: " +
            $"[{string.Join(", ", first.AssignedPartitions.Order())}] and [{string.Join(", ", second.AssignedPartitions.Order())}].");

        // Across the rebalance a record may be delivered to both members (at least once), never to neither.
        await Poll.UntilAsync(
            () => Task.FromResult(first.Consumed.Keys.Union(second.Consumed.Keys).Count() >= log.Count),
            GroupTimeout,
            () => $"members consumed {first.Consumed.Count} + {second.Consumed.Count} records of {log.Count}",
            CancellationToken.None);
        Assert.Equal(log.ToHashSet(), first.Consumed.Keys.Union(second.Consumed.Keys).ToHashSet());
    }

    private static List<(string? Key, string Value)> Messages(string prefix, int count) =>
        Enumerable.Range(0, count).Select(i => ((string?)$"{prefix}-key-{i % 37}", $"{prefix}-value-{i}")).ToList();

    /// <summary>A subscribed consumer polling on its own thread, recording its assignment and what it consumed.</summary>
    private sealed class GroupMember : IAsyncDisposable
    {
        private readonly IConsumer<string?, string?> _consumer;
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;
        private volatile int[] _assigned = [];

        private GroupMember(ConsumerConfig config, string topic)
        {
            _consumer = new ConsumerBuilder<string?, string?>(config)
                .SetPartitionsAssignedHandler((_, partitions) => { _assigned = [.. partitions.Select(p => p.Partition.Value)]; })
                .SetPartitionsRevokedHandler((_, _) => { _assigned = []; })
                .SetPartitionsLostHandler((_, _) => { _assigned = []; })
                .SetErrorHandler((_, error) => LastError = $"{error.Code}: {error.Reason}")
                .SetLogHandler((_, m) => TestKafkaConfig.WriteClientLog(m))
                .Build();
            _consumer.Subscribe(topic);
            _loop = Task.Run(Loop);
        }

        public HashSet<int> AssignedPartitions => [.. _assigned];

        public ConcurrentDictionary<KafkaRecord, bool> Consumed { get; } = new();

        public string LastError { get; private set; } = "no client error";

        public static GroupMember Start(ConsumerConfig config, string topic) => new(config, topic);

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            await _loop;
            _consumer.Close();
            _consumer.Dispose();
            _stop.Dispose();
        }

        private void Loop()
        {
            while (!_stop.IsCancellationRequested)
            {
                try
                {
                    var result = _consumer.Consume(TimeSpan.FromMilliseconds(100));
                    if (result is { IsPartitionEOF: false })
                    {
                        Consumed.TryAdd(new KafkaRecord(result.Partition.Value, result.Offset.Value, result.Message.Key, result.Message.Value), true);
                    }
                }
                catch (ConsumeException ex)
                {
                    LastError = $"{ex.Error.Code}: {ex.Error.Reason}";
                }
            }
        }
    }
}
