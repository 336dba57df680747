using System.Diagnostics;
using System.Globalization;
using DuckDB.NET.Data;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Ingestion;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Storage;
using LogAnalytics.Storage.Lake;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Storage;

/// <summary>The analyst lake written by `loganalytics run` (a separate OS process) and read, as analysts read it, by
/// this test process with DuckDB's read_parquet and sql/lake/views.sql.</summary>
[Collection("kafka")]
public sealed class LakeTests(KafkaFixture kafka, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-lake-it-").FullName;

    private static DuckDBConnection OpenLake(string lake)
    {
        var connection = new DuckDBConnection("Data Source=:memory:");
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SET VARIABLE lake = '{lake}';\n" + SqlScripts.Load("lake/views.sql");
        cmd.ExecuteNonQuery();
        return connection;
    }

    private static List<(int Partition, long Offset)> Positions(DuckDBConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<(int, long)>();
        while (reader.Read())
        {
            rows.Add((reader.GetInt32(0), reader.GetInt64(1)));
        }
        return rows;
    }

    private static long LakeCount(string lake)
    {
        if (!Directory.Exists(Path.Combine(lake, "requests")))
        {
            return -1;
        }
        using var connection = OpenLake(lake);
        return Positions(connection, "SELECT 0, (SELECT count(*) FROM requests) + (SELECT count(*) FROM quarantine)")[0].Offset;
    }

    [Fact]
    public async Task Killing_the_worker_during_lake_writes_leaves_every_stored_row_in_the_lake_once()
    {
        var topic = $"lake-crash-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var db = Path.Combine(_dir, "crash.duckdb");
        var lake = Path.Combine(_dir, "crash.lake");
        var temp = Path.Combine(lake, LakeWriter.TempFolder);
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        settings["Ingestion:BatchMaxEvents"] = "200";
        settings["Ingestion:BatchMaxDelayMs"] = "50";
        settings["Storage:LakeFlushSeconds"] = "1";
        var next = 0;

        for (var round = 0; round < 3; round++)
        {
            using var worker = WorkerProcess.Start(Path.Combine(_dir, $"round{round}.json"), settings);
            await Eventually.UntilAsync(() => worker.Said("Assigned") || worker.HasExited, TimeSpan.FromSeconds(90),
                () => $"worker round {round} never got partitions:\n{worker.Output}");
            Assert.False(worker.HasExited, worker.Output);
            string[] Markers() => Directory.Exists(Path.Combine(lake, LakeWriter.OffsetsFolder)) ? Directory.GetFiles(Path.Combine(lake, LakeWriter.OffsetsFolder)) : [];
            var markersBefore = Markers().ToHashSet();
            var from = next;
            next += 3000;
            await kafka.ProduceAsync(topic, Enumerable.Range(from, 3000).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
            // Wait until this round's rows reach the lake, then kill the worker the moment its next lake file is being
            // written (a file appears in _tmp/<writer>/: COPY ... TO is running or done but the file is not yet renamed).
            await Eventually.UntilAsync(() => Markers().Any(m => !markersBefore.Contains(m)),
                TimeSpan.FromSeconds(60), () => $"round {round}: no lake flush:\n{worker.Output}");
            var killed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            using (var watcher = new FileSystemWatcher(temp) { IncludeSubdirectories = true, EnableRaisingEvents = true })
            {
                watcher.Created += (_, e) =>
                {
                    if (killed.Task.IsCompleted)
                    {
                        return;
                    }
                    worker.Kill();
                    killed.TrySetResult(e.Name ?? "");
                };
                var next3 = next;
                await kafka.ProduceAsync(topic, Enumerable.Range(next3, 500).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
                next += 500;
                var file = await killed.Task.WaitAsync(TimeSpan.FromSeconds(60));
                output.WriteLine($"round {round}: killed pid {worker.Id} while {file} was being written");
            }
        }

        var log = await kafka.ReadAllAsync(topic);
        Assert.Equal(next, log.Count);
        using (var last = WorkerProcess.Start(Path.Combine(_dir, "last.json"), settings))
        {
            await Eventually.UntilAsync(() => LakeCount(lake) == log.Count, TimeSpan.FromSeconds(120),
                () => $"the lake shows {LakeCount(lake)} of {log.Count} messages:\n{last.Output}");
            Assert.Equal(0, await last.TerminateAsync(TimeSpan.FromSeconds(60)));
        }

        KafkaIngestionTests.AssertExactlyTheLog(db, topic, log);
        using var connection = OpenLake(lake);
        var positionsSql = "SELECT source_partition, source_offset FROM read_parquet('{0}/{1}/**/*.parquet', hive_partitioning = false)";
        var raw = Positions(connection, string.Format(CultureInfo.InvariantCulture, positionsSql, lake, "requests"))
            .Concat(Positions(connection, string.Format(CultureInfo.InvariantCulture, positionsSql, lake, "quarantine"))).ToList();
        var duplicates = raw.GroupBy(p => p).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, $"{duplicates.Count} positions are in the lake's files twice, e.g. {string.Join(", ", duplicates.Take(5))}");
        Assert.Equal(log.Select(r => (r.Partition, r.Offset)).Order(), raw.Order());
        var stored = DatabaseProbe.Rows(db, "SELECT source_partition, source_offset FROM requests UNION ALL SELECT source_partition, source_offset FROM quarantine",
            r => (r.GetInt32(0), r.GetInt64(1)));
        Assert.Equal(stored.Order(), raw.Order());
        var lakeIds = Positions(connection, "SELECT count(*), count(DISTINCT request_id) FROM requests")[0];
        Assert.Equal(lakeIds.Partition, lakeIds.Offset);
    }

    [Fact]
    public async Task A_reader_sees_whole_files_and_every_row_older_than_the_flush_interval_while_the_worker_ingests()
    {
        var topic = $"lake-read-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var db = Path.Combine(_dir, "read.duckdb");
        var lake = Path.Combine(_dir, "read.lake");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        const int flushSeconds = 2;
        settings["Storage:LakeFlushSeconds"] = flushSeconds.ToString(CultureInfo.InvariantCulture);
        // Time for a produced message to be consumed and stored, and for a flush to run, on a busy shared machine.
        var slack = TimeSpan.FromSeconds(8);
        using var worker = WorkerProcess.Start(Path.Combine(_dir, "read.json"), settings);
        await Eventually.UntilAsync(() => worker.Said("Assigned") || worker.HasExited, TimeSpan.FromSeconds(90), () => worker.Output);
        Assert.False(worker.HasExited, worker.Output);

        var acknowledged = new List<(TimeSpan At, int Count)>();
        var clock = Stopwatch.StartNew();
        using var stop = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            for (var batch = 0; batch < 40 && !stop.IsCancellationRequested; batch++)
            {
                await kafka.ProduceAsync(topic, Enumerable.Range(batch * 250, 250).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
                lock (acknowledged)
                {
                    acknowledged.Add((clock.Elapsed, (batch + 1) * 250));
                }
                await Task.Delay(250, stop.Token); // pacing of the producer (traffic shape), not synchronisation
            }
        });

        var reads = 0;
        var readsWhileProducing = 0;
        var checkedRows = 0L;
        // Read until the bound itself covers every message: the last reads check that all 10,000 are there.
        while (checkedRows < 10_000)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(180), $"the lake did not catch up: {LakeCount(lake)} of 10000\n{worker.Output}");
            var readAt = clock.Elapsed;
            int mustHave;
            lock (acknowledged)
            {
                mustHave = acknowledged.LastOrDefault(a => a.At < readAt - TimeSpan.FromSeconds(flushSeconds) - slack).Count;
            }
            // read_parquet fails on a partial file; every listed file must open and count.
            var seen = LakeCount(lake);
            Assert.True(seen >= mustHave, $"read {reads}: the lake shows {seen} rows, but {mustHave} were produced more than {flushSeconds} s + {slack.TotalSeconds} s ago");
            checkedRows = Math.Max(checkedRows, mustHave);
            reads++;
            readsWhileProducing += producer.IsCompleted ? 0 : 1;
            await Task.Delay(100); // the reader's cadence; the loop ends on its condition, under the 180 s deadline above
        }
        await producer;
        output.WriteLine($"{reads} reads, {readsWhileProducing} of them while traffic was produced");
        Assert.True(readsWhileProducing >= 10, $"only {readsWhileProducing} reads happened while traffic was produced");
        Assert.Equal(10_000, LakeCount(lake));
        Assert.Equal(0, await worker.TerminateAsync(TimeSpan.FromSeconds(60)));
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
