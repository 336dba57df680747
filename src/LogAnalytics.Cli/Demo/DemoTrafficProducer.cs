using System.Diagnostics;
using Confluent.Kafka;
using LogAnalytics.SyntheticTraffic;

namespace LogAnalytics.Cli.Demo;

/// <summary>
/// Plays a <see cref="SyntheticRouter"/> into a Kafka topic in real time: message <c>n</c> is sent when
/// <c>n / rate</c> seconds have passed, keyed by request id (so a request always lands on the same partition), with
/// the event's timestamp as the Kafka timestamp. An ordinary producer: it knows nothing of the mock cluster.
/// </summary>
internal sealed class DemoTrafficProducer : IDisposable
{
    private readonly IProducer<byte[], byte[]> _producer;
    private readonly SyntheticRouter _router;
    private readonly string _topic;
    private readonly double _rate;
    private long _delivered;
    private long _failed;
    private string? _lastError;

    public DemoTrafficProducer(string bootstrapServers, string topic, SyntheticRouterOptions options)
    {
        _topic = topic;
        _rate = options.EventsPerSecond;
        _router = new SyntheticRouter(options);
        _producer = new ProducerBuilder<byte[], byte[]>(new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            ClientId = "loganalytics-demo-router",
            // Small batches every few milliseconds: steady traffic rather than bursts.
            LingerMs = 5,
            // The mock cluster has one replica; acks=all still means "stored".
            Acks = Acks.All,
        })
            .SetErrorHandler((_, e) => _lastError = e.Reason)
            .SetLogHandler((_, _) => { })
            .Build();
    }

    /// <summary>Messages handed to the producer.</summary>
    public long Produced => _router.Generated;

    /// <summary>Messages the cluster acknowledged.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>Messages the cluster refused or that timed out.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>The last client error, if any.</summary>
    public string? LastError => _lastError;

    /// <summary>Sends the first message (the stage announcement) and waits for it, which also creates the topic, so
    /// the worker's consumer finds it when it subscribes.</summary>
    /// <returns>Whether the message was delivered within <paramref name="timeout"/>.</returns>
    public bool Prime(TimeSpan timeout)
    {
        Send(_router.Next());
        _producer.Flush(timeout);
        return Delivered == 1;
    }

    /// <summary>Produces at the configured rate until <paramref name="stop"/> is cancelled, then flushes.</summary>
    public void Run(CancellationToken stop)
    {
        var clock = Stopwatch.StartNew();
        var already = _router.Generated;
        while (!stop.IsCancellationRequested)
        {
            var due = already + (long)(clock.Elapsed.TotalSeconds * _rate);
            while (_router.Generated < due && !stop.IsCancellationRequested)
            {
                Send(_router.Next());
            }
            _producer.Poll(TimeSpan.Zero);
            stop.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(5));
        }
        _producer.Flush(TimeSpan.FromSeconds(10));
    }

    private void Send(SyntheticMessage message)
    {
        var kafkaMessage = new Message<byte[], byte[]> { Key = message.Key, Value = message.Value, Timestamp = new Timestamp(message.Timestamp) };
        while (true)
        {
            try
            {
                _producer.Produce(_topic, kafkaMessage, OnDelivery);
                return;
            }
            catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
            {
                _producer.Poll(TimeSpan.FromMilliseconds(50)); // back-pressure: let deliveries drain
            }
        }
    }

    private void OnDelivery(DeliveryReport<byte[], byte[]> report)
    {
        if (report.Error.IsError)
        {
            Interlocked.Increment(ref _failed);
            _lastError = report.Error.Reason;
        }
        else
        {
            Interlocked.Increment(ref _delivered);
        }
    }

    public void Dispose() => _producer.Dispose();
}
