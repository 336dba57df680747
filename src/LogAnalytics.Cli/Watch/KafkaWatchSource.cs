using Confluent.Kafka;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Cli.Watch;

/// <summary>Reads what <c>loganalytics watch</c> shows from Kafka: every document on <c>Kafka:VerdictTopic</c> from the
/// beginning (keeping the latest per experiment key, as a compacted topic would), and the committed offsets of the
/// workers' group <c>Kafka:GroupId</c> against the high watermarks of <c>Kafka:Topics</c>. It never joins or commits
/// for either group: the verdict reader has a group id of its own and assigns partitions by hand.</summary>
internal sealed class KafkaWatchSource : IDisposable
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Events/s is measured over this much history of committed offsets (the workers auto-commit every 5 s).</summary>
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(15);

    private readonly KafkaOptions _options;
    private readonly TimeProvider _clock;
    private readonly IConsumer<string, string> _verdicts;
    private readonly IConsumer<byte[], byte[]> _group;
    private readonly IAdminClient _admin;
    private readonly Dictionary<string, Verdict> _latest = new(StringComparer.Ordinal);
    private readonly Queue<(DateTimeOffset At, long Committed)> _history = new();
    private bool _assigned;
    private string? _verdictError;

    public KafkaWatchSource(KafkaOptions options, TimeProvider clock)
    {
        _options = options;
        _clock = clock;
        var client = new Dictionary<string, string>(options.Client, StringComparer.Ordinal);
        _verdicts = new ConsumerBuilder<string, string>(new ConsumerConfig(new Dictionary<string, string>(client, StringComparer.Ordinal))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = $"{options.GroupId}-watch-{Guid.NewGuid():N}",
            EnableAutoCommit = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            ClientId = client.GetValueOrDefault("client.id") ?? "loganalytics-watch",
        }).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        // Only to read the workers' committed offsets (OffsetFetch): it never subscribes, so it never joins their group.
        _group = new ConsumerBuilder<byte[], byte[]>(new ConsumerConfig(new Dictionary<string, string>(client, StringComparer.Ordinal))
        {
            BootstrapServers = options.BootstrapServers,
            GroupId = options.GroupId,
            EnableAutoCommit = false,
            ClientId = client.GetValueOrDefault("client.id") ?? "loganalytics-watch",
        }).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        _admin = new DependentAdminClientBuilder(_group.Handle).Build();
    }

    /// <summary>Reads what arrived since the last call (at most <paramref name="budget"/> of waiting) and measures the lag.</summary>
    public WatchSnapshot Poll(TimeSpan budget, CancellationToken cancellationToken)
    {
        ReadVerdicts(budget, cancellationToken);
        var group = MeasureGroup();
        var verdicts = _latest.Values.OrderBy(v => v.Experiment, StringComparer.Ordinal).ToList();
        return new WatchSnapshot(_clock.GetUtcNow(), verdicts, verdicts.Count == 0 ? _verdictError : null, group);
    }

    private void ReadVerdicts(TimeSpan budget, CancellationToken cancellationToken)
    {
        if (!_assigned)
        {
            var partitions = Partitions(_options.VerdictTopic, out var error);
            if (partitions.Count == 0)
            {
                _verdictError = $"no verdict topic to read yet ({_options.VerdictTopic}: {error ?? "no partitions"})";
                return;
            }
            _verdicts.Assign(partitions.Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
            _assigned = true;
            _verdictError = null;
        }
        var until = _clock.GetUtcNow() + budget;
        while (!cancellationToken.IsCancellationRequested)
        {
            var left = until - _clock.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                break;
            }
            ConsumeResult<string, string>? result;
            try
            {
                result = _verdicts.Consume(left < TimeSpan.FromMilliseconds(100) ? left : TimeSpan.FromMilliseconds(100));
            }
            catch (ConsumeException ex)
            {
                _verdictError = $"cannot read {_options.VerdictTopic}: {ex.Error.Reason}";
                continue;
            }
            if (result?.Message is not { } message)
            {
                if (result is null && _latest.Count > 0)
                {
                    break; // caught up
                }
                continue;
            }
            try
            {
                if (message.Value is { } json && Verdict.FromJson(json) is { } verdict)
                {
                    _latest[message.Key ?? verdict.Experiment] = verdict;
                }
            }
            catch (System.Text.Json.JsonException)
            {
                _verdictError = $"a message on {_options.VerdictTopic} at offset {result.Offset.Value} is not a loganalytics.verdict/v1 document";
            }
        }
    }

    private GroupProgress MeasureGroup()
    {
        var partitions = new List<TopicPartition>();
        foreach (var topic in _options.Topics)
        {
            partitions.AddRange(Partitions(topic, out var error));
            if (error is not null)
            {
                return new GroupProgress(_options.GroupId, null, null, 0, $"{topic}: {error}");
            }
        }
        if (partitions.Count == 0)
        {
            return new GroupProgress(_options.GroupId, null, null, 0, "the traffic topics have no partitions yet");
        }
        try
        {
            var committed = _group.Committed(partitions, RequestTimeout).ToDictionary(c => c.TopicPartition, c => c.Offset);
            long lag = 0;
            long done = 0;
            foreach (var p in partitions)
            {
                var marks = _group.QueryWatermarkOffsets(p, RequestTimeout);
                var at = committed.TryGetValue(p, out var offset) && offset != Offset.Unset ? offset.Value : marks.Low.Value;
                lag += Math.Max(0, marks.High.Value - at);
                done += at;
            }
            var now = _clock.GetUtcNow();
            _history.Enqueue((now, done));
            while (_history.Count > 2 && now - _history.Peek().At > RateWindow)
            {
                _history.Dequeue();
            }
            var first = _history.Peek();
            double? rate = _history.Count > 1 && now > first.At ? Math.Max(0, done - first.Committed) / (now - first.At).TotalSeconds : null;
            return new GroupProgress(_options.GroupId, lag, rate, partitions.Count, null);
        }
        catch (KafkaException ex)
        {
            return new GroupProgress(_options.GroupId, null, null, partitions.Count, ex.Error.Reason);
        }
    }

    private List<TopicPartition> Partitions(string topic, out string? error)
    {
        error = null;
        try
        {
            // All topics, not GetMetadata(topic): asking for one topic by name makes some brokers create it.
            var metadata = _admin.GetMetadata(RequestTimeout).Topics.FirstOrDefault(t => t.Topic == topic);
            if (metadata is null || metadata.Error.IsError)
            {
                error = metadata?.Error.Reason ?? "unknown topic";
                return [];
            }
            return metadata.Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).OrderBy(p => p.Partition.Value).ToList();
        }
        catch (KafkaException ex)
        {
            error = ex.Error.Reason;
            return [];
        }
    }

    public void Dispose()
    {
        _admin.Dispose();
        _verdicts.Close();
        _verdicts.Dispose();
        _group.Dispose();
    }
}
