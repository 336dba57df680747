using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using Xunit.Abstractions;

namespace LogAnalytics.IntegrationTests.Ingestion;

/// <summary>The worker process killed with SIGKILL at random moments while routers produce, then restarted: in the end
/// no event is lost and none is stored twice.</summary>
[Collection("kafka")]
public sealed class CrashRecoveryTests(KafkaFixture kafka, ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-crash-").FullName;

    [Fact]
    public async Task Killing_the_worker_with_sigkill_repeatedly_loses_and_duplicates_nothing()
    {
        var topic = $"crash-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var db = Path.Combine(_dir, "crash.duckdb");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        settings["Ingestion:BatchMaxEvents"] = "200";
        settings["Ingestion:BatchMaxDelayMs"] = "50";
        var random = new Random(20261124);
        var next = 0;

        for (var round = 0; round < 4; round++)
        {
            using var worker = WorkerProcess.Start(Path.Combine(_dir, $"round{round}.json"), settings);
            await Eventually.UntilAsync(() => worker.Said("Assigned") || worker.HasExited, TimeSpan.FromSeconds(90),
                () => $"worker round {round} never got partitions:\n{worker.Output}");
            Assert.False(worker.HasExited, worker.Output);

            // Produce while the worker is consuming, and kill it at a random moment in the middle of that.
            var from = next;
            next += 1500;
            var producing = kafka.ProduceAsync(topic, Enumerable.Range(from, 1500).Select(i => TrafficMessages.Message(topic, i)).Select(m => ((string?)m.Key, m.Value)));
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(200, 1500)));
            worker.Kill();
            output.WriteLine($"round {round}: killed pid {worker.Id}");
            await producing;
        }

        // A last run drains the topic; it stops on SIGTERM after finishing its batch.
        var log = await kafka.ReadAllAsync(topic);
        settings["Storage:SnapshotIntervalSeconds"] = "1";
        using (var last = WorkerProcess.Start(Path.Combine(_dir, "last.json"), settings))
        {
            var snapshot = Path.Combine(_dir, "crash.snapshot.duckdb");
            await Eventually.UntilAsync(() => DatabaseProbe.TryCount(snapshot, "SELECT (SELECT count(*) FROM requests) + (SELECT count(*) FROM quarantine)") == log.Count,
                TimeSpan.FromSeconds(120), () => $"the snapshot does not show all {log.Count} messages yet:\n{last.Output}");
            var exit = await last.TerminateAsync(TimeSpan.FromSeconds(60));
            Assert.Equal(0, exit);
        }
        KafkaIngestionTests.AssertExactlyTheLog(db, topic, log);
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
