using Confluent.Kafka;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.Verdicts;

namespace LogAnalytics.IntegrationTests.Watch;

/// <summary><c>loganalytics watch</c> against a real broker, without a terminal (CI=true): plain lines with the latest
/// verdict per experiment and the workers' group lag, and a clean exit 0 on SIGTERM.</summary>
[Collection("kafka")]
public sealed class WatchCommandTests(KafkaFixture kafka) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-watch-").FullName;

    private static Verdict Verdict(string experiment, string decision, long baseline, long canary) => new()
    {
        Experiment = experiment, Decision = decision, CurrentStage = 25, NextStage = 50, EvaluatedAt = DateTimeOffset.UtcNow,
        Window = new VerdictWindow(DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow),
        Samples = new VerdictSamples(baseline, canary), Srm = new SrmCheck(0.25, 0.25, 0.9, true),
        Checks =
        [
            new MetricCheck
            {
                Metric = "latency_p99", Baseline = 1000, Canary = 1032, RelativeChange = 0.032, CiLow = -0.01, CiHigh = 0.074, Margin = 0.1,
                Scale = "relative", Test = "quantile_difference", Outcome = decision == Decisions.Go ? Outcomes.Pass : Outcomes.Inconclusive, Reason = "r",
            },
        ],
        Reasons = ["because"],
    };

    [Fact]
    public async Task Watch_prints_the_latest_verdict_per_experiment_and_the_groups_lag_as_plain_lines_and_exits_0_on_sigterm()
    {
        var topic = KafkaFixture.UniqueTopic("watch");
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, Path.Combine(_dir, "unused.duckdb"), kafka.ClientOverrides);
        var verdictTopic = settings["Kafka:VerdictTopic"]!;
        var group = settings["Kafka:GroupId"]!;
        await kafka.CreateTopicAsync(topic, partitions: 2);
        await kafka.CreateTopicAsync(verdictTopic, partitions: 1);
        // 100 traffic messages over two partitions; the workers' group has committed all but 20 of partition 0 and all
        // but 5 of partition 1.
        await kafka.ProduceAsync(topic, Enumerable.Range(0, 100).Select(i => ((string?)$"k{i}", $"{{\"n\":{i}}}")).ToList());
        var records = await kafka.ReadAllAsync(topic);
        var count0 = records.Count(r => r.Partition == 0);
        var count1 = records.Count(r => r.Partition == 1);
        long commit0 = Math.Max(0, count0 - 20), commit1 = Math.Max(0, count1 - 5);
        using (var committer = new ConsumerBuilder<byte[], byte[]>(kafka.ConsumerConfig(group)).Build())
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, commit0), new TopicPartitionOffset(topic, 1, commit1)]);
        }
        var expectedLag = count0 - commit0 + count1 - commit1;
        Assert.True(expectedLag > 0);
        await kafka.ProduceAsync(verdictTopic,
        [
            ("checkout", Verdict("checkout", Decisions.Wait, 100, 20).ToJson()),
            ("search", Verdict("search", Decisions.NoGo, 500, 150).ToJson()),
            ("checkout", Verdict("checkout", Decisions.Go, 3000, 1000).ToJson()),
        ]);

        using var watch = WorkerProcess.Start(Path.Combine(_dir, "watch.json"), settings, "watch");
        await Eventually.UntilAsync(
            () => watch.Said("checkout: stage 25 %, decision go, baseline 3,000, canary 1,000; latency_p99 +3.2 % [-1 %, +7.4 %] pass")
                  && watch.Said("search: stage 25 %, decision no_go, baseline 500, canary 150")
                  && watch.Said($"consumer group {group}: lag {expectedLag:N0} messages on 2 partitions"),
            TimeSpan.FromSeconds(60), () => watch.Output);
        Assert.DoesNotContain("\u001b[", watch.Output); // no ANSI escapes without a terminal
        Assert.False(watch.HasExited);

        var exit = await watch.TerminateAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(0, exit);
        Assert.True(watch.Said("loganalytics watch: stopped"), watch.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
