using System.Diagnostics;
using Confluent.Kafka;
using DuckDB.NET.Data;
using LogAnalytics.Cli;
using LogAnalytics.Ingestion;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// Kafka -> DuckDB throughput against the ceiling of the client itself, on the same data: produce N synthetic events
/// to a fresh topic, read them with a plain Confluent consumer (raw consume rate), then run the worker host (the same
/// one <c>loganalytics run</c> starts) on the topic until its tables (requests, validations, stages, quarantine) hold N
/// rows between them: the synthetic canary also emits validation events, so counting requests alone never finishes.
/// </summary>
internal static class KafkaBenchmark
{
    public static async Task<int> RunAsync(BenchmarkArguments args)
    {
        if (string.IsNullOrWhiteSpace(args.Bootstrap))
        {
            throw new ArgumentException("kafka mode needs --bootstrap HOST:PORT");
        }
        var stamp = $"{DateTime.UtcNow:yyyyMMddHHmmss}-{Environment.ProcessId}";
        var topic = $"loganalytics-bench-{stamp}";
        var dir = args.CreateWorkDirectory("loganalytics-kafka-bench");
        Console.WriteLine($"kafka benchmark: {args.Events:N0} events, broker {args.Bootstrap}, topic {topic}, client {{{string.Join(", ", args.Client.Select(kv => $"{kv.Key}={kv.Value}"))}}}");
        try
        {
            if (!Produce(args, topic))
            {
                return 1;
            }
            var raw = ConsumeRaw(args, topic, $"loganalytics-bench-raw-{stamp}");
            if (raw is null)
            {
                return 1;
            }
            var worker = await RunWorkerAsync(args, topic, $"loganalytics-bench-worker-{stamp}", Path.Combine(dir, "worker.duckdb"));
            if (worker is null)
            {
                return 1;
            }
            Console.WriteLine($"ratio       worker / raw consume = {raw.Value.Steady.TotalSeconds / worker.Value.Steady.TotalSeconds:F2} (from first message), {raw.Value.Wall.TotalSeconds / worker.Value.Wall.TotalSeconds:F2} (wall)");
            // The machine's speed drifts within minutes: the raw consume is read again after the worker, and the ratio
            // against the mean rate of both brackets the worker's run instead of trusting one sample taken before it.
            var after = ConsumeRaw(args, topic, $"loganalytics-bench-raw-after-{stamp}", "raw again  ");
            if (after is not null)
            {
                var meanRate = (args.Events / raw.Value.Steady.TotalSeconds + args.Events / after.Value.Steady.TotalSeconds) / 2;
                Console.WriteLine($"ratio       worker / mean of the raw consumes before and after it = {args.Events / worker.Value.Steady.TotalSeconds / meanRate:F2} (from first message; the raw consume after it alone: {after.Value.Steady.TotalSeconds / worker.Value.Steady.TotalSeconds:F2})");
            }
            Console.WriteLine($"memory      peak RSS of the benchmark process {Format.MiB(Measure.PeakRssBytes())} MiB (VmHWM: producer, raw consumer and worker together)");
            Console.WriteLine($"note        topic {topic} stays on the broker (delete it by hand if the broker allows deletion)");
            return 0;
        }
        finally
        {
            if (!args.Keep)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }

    private static bool Produce(BenchmarkArguments args, string topic)
    {
        var config = new ProducerConfig(new Dictionary<string, string>(args.Client, StringComparer.Ordinal))
        {
            BootstrapServers = args.Bootstrap,
            ClientId = "loganalytics-bench-producer",
            LingerMs = 20,
            BatchNumMessages = 10_000,
            QueueBufferingMaxMessages = 500_000,
        };
        long delivered = 0, failed = 0;
        string? lastError = null;
        var router = new SyntheticRouter(new SyntheticRouterOptions
        {
            Seed = 42,
            // Timestamps near now (the worker quarantines more than a day ahead), densely packed.
            Start = DateTimeOffset.UtcNow.AddHours(-1),
            EventsPerSecond = 100_000,
            AnnounceStage = false,
        });
        var watch = Stopwatch.StartNew();
        using (var producer = new ProducerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).Build())
        {
            void OnDelivery(DeliveryReport<byte[], byte[]> r)
            {
                if (r.Error.IsError)
                {
                    Interlocked.Increment(ref failed);
                    lastError = r.Error.Reason;
                }
                else
                {
                    Interlocked.Increment(ref delivered);
                }
            }
            for (long i = 0; i < args.Events; i++)
            {
                var m = router.Next();
                var message = new Message<byte[], byte[]> { Key = m.Key, Value = m.Value };
                while (true)
                {
                    try
                    {
                        producer.Produce(topic, message, OnDelivery);
                        break;
                    }
                    catch (ProduceException<byte[], byte[]> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                    {
                        producer.Poll(TimeSpan.FromMilliseconds(20));
                    }
                }
            }
            producer.Flush(args.Timeout);
        }
        Console.WriteLine($"produced    {delivered:N0} delivered, {failed:N0} failed in {watch.Elapsed.TotalSeconds:F1} s = {Format.Rate(delivered, watch.Elapsed)} events/s{(lastError is null ? "" : $" (last error: {lastError})")}");
        return delivered == args.Events;
    }

    private static (TimeSpan Wall, TimeSpan Steady)? ConsumeRaw(BenchmarkArguments args, string topic, string group, string label = "raw consume")
    {
        var config = new ConsumerConfig(new Dictionary<string, string>(args.Client, StringComparer.Ordinal))
        {
            BootstrapServers = args.Bootstrap,
            GroupId = group,
            ClientId = "loganalytics-bench-raw",
            AutoOffsetReset = AutoOffsetReset.Earliest,
            EnableAutoCommit = false,
        };
        using var consumer = new ConsumerBuilder<byte[], byte[]>(config).SetLogHandler((_, _) => { }).SetErrorHandler((_, _) => { }).Build();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        consumer.Subscribe(topic);
        long count = 0, bytes = 0;
        TimeSpan? first = null;
        while (count < args.Events && watch.Elapsed < args.Timeout)
        {
            var r = consumer.Consume(TimeSpan.FromSeconds(1));
            if (r?.Message is null)
            {
                continue;
            }
            first ??= watch.Elapsed;
            count++;
            bytes += r.Message.Value?.Length ?? 0; // touch the payload, as any real consumer would
        }
        var wall = watch.Elapsed;
        consumer.Close();
        if (count < args.Events)
        {
            Console.WriteLine($"{label} read only {count:N0} of {args.Events:N0} within {args.Timeout.TotalSeconds:N0} s");
            return null;
        }
        var steady = wall - first!.Value;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        Console.WriteLine($"  cpu       {cpu.TotalSeconds:F2} s = {cpu.TotalSeconds * 1e6 / count:F1} µs per message ({cpu.TotalSeconds / wall.TotalSeconds:F1} cores busy on average)");
        Console.WriteLine($"{label} {count:N0} messages ({Format.MiB(bytes)} MiB) in {wall.TotalSeconds:F2} s wall = {Format.Rate(count, wall)} events/s; from first message {steady.TotalSeconds:F2} s = {Format.Rate(count, steady)} events/s");
        return (wall, steady);
    }

    private static async Task<(TimeSpan Wall, TimeSpan Steady)?> RunWorkerAsync(BenchmarkArguments args, string topic, string group, string dbPath)
    {
        var overrides = new Dictionary<string, string?>
        {
            ["Kafka:BootstrapServers"] = args.Bootstrap,
            ["Kafka:Topics:0"] = topic,
            ["Kafka:GroupId"] = group,
            ["Kafka:DeadLetterTopic"] = "",
            ["Storage:DatabasePath"] = dbPath,
            ["Storage:SnapshotIntervalSeconds"] = "0",
        };
        foreach (var (key, value) in args.Client)
        {
            overrides[$"Kafka:Client:{key}"] = value;
        }
        foreach (var (key, value) in args.Settings)
        {
            overrides[key] = value; // e.g. --set Ingestion:BatchMaxEvents=50000
        }
        using var host = AppHost.CreateWorkerBuilder(configFile: null, overrides, quietConsole: true).Build();
        var statistics = host.Services.GetRequiredService<IngestionStatistics>();
        using var sampler = new WorkingSetSampler();
        var threads0 = ThreadCpu.Snapshot();
        var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
        var gc0 = GcSnapshot.Take();
        var watch = Stopwatch.StartNew();
        await host.StartAsync();
        TimeSpan? first = null;
        long rows = 0;
        using (var connection = new DuckDBConnection($"Data Source={dbPath}"))
        {
            // The worker opens (and migrates) the file on its own thread; wait for the table before counting.
            while (watch.Elapsed < args.Timeout)
            {
                if (first is null && statistics.Consumed > 0)
                {
                    first = watch.Elapsed;
                }
                if (statistics.Stored + statistics.Quarantined >= args.Events)
                {
                    connection.Open();
                    var (r, v, st, q) = CountRows(connection);
                    rows = r + v + st + q;
                    if (rows >= args.Events)
                    {
                        break;
                    }
                }
                await Task.Delay(10);
            }
        }
        var wall = watch.Elapsed;
        var cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu0;
        var threads = ThreadCpu.Difference(threads0, ThreadCpu.Snapshot());
        var gc = GcSnapshot.Take() - gc0;
        var peak = sampler.PeakBytes;
        await host.StopAsync();
        if (rows < args.Events)
        {
            Console.WriteLine($"worker stored only {statistics.Stored:N0} of {args.Events:N0} within {args.Timeout.TotalSeconds:N0} s");
            return null;
        }
        var steady = wall - first!.Value;
        using (var connection = new DuckDBConnection($"Data Source={dbPath}"))
        {
            connection.Open();
            var (requests, validations, stages, quarantined) = CountRows(connection);
            Console.WriteLine($"worker      {rows:N0} rows: {requests:N0} requests, {validations:N0} validations, {stages:N0} stages, {quarantined:N0} quarantined ({statistics.Batches:N0} batches) in {wall.TotalSeconds:F2} s wall = {Format.Rate(rows, wall)} events/s; from first message {steady.TotalSeconds:F2} s = {Format.Rate(rows, steady)} events/s");
        }
        Console.WriteLine($"  pipeline  {statistics.Pipeline}");
        Console.WriteLine($"  threads   {threads}");
        Console.WriteLine($"  gc        {gc.Describe(rows)}");
        Console.WriteLine($"  store     {host.Services.GetRequiredService<EventStoreProvider>().Store.Timings}");
        Console.WriteLine($"  cpu       {cpu.TotalSeconds:F2} s = {cpu.TotalSeconds * 1e6 / rows:F1} µs per message ({cpu.TotalSeconds / wall.TotalSeconds:F1} cores busy on average); peak working set while the worker ran {Format.MiB(peak)} MiB (benchmark process, producer and raw consumer included)");
        return (wall, steady);
    }

    private static (long Requests, long Validations, long Stages, long Quarantined) CountRows(DuckDBConnection connection)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT (SELECT count(*) FROM requests), (SELECT count(*) FROM validations), (SELECT count(*) FROM stages), (SELECT count(*) FROM quarantine)";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3));
    }
}
