using System.Text.Json;
using LogAnalytics.Ingestion.Kafka;
using LogAnalytics.Operations;
using LogAnalytics.Tests.Http;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Operations;

/// <summary>The pure rules behind the HTTP surface: consumer lag from librdkafka statistics, staleness, gates, the
/// experiment a Flagger payload names, liveness and readiness.</summary>
public sealed class OperationsRulesTests
{
    // Shaped like librdkafka's statistics (STATISTICS.md): per topic, per partition, consumer_lag; -1 = unknown,
    // partition -1 = librdkafka's internal UA partition.
    private const string Statistics = """
        {"name":"loganalytics#consumer-1","type":"consumer","ts":123,"topics":{
          "router-logs":{"topic":"router-logs","partitions":{
            "0":{"partition":0,"consumer_lag":12,"hi_offset":100,"app_offset":88},
            "1":{"partition":1,"consumer_lag":0,"hi_offset":50,"app_offset":50},
            "2":{"partition":2,"consumer_lag":-1,"hi_offset":-1},
            "-1":{"partition":-1,"consumer_lag":-1}}},
          "other":{"topic":"other","partitions":{"3":{"partition":3,"consumer_lag":7}}}}}
        """;

    [Fact]
    public void Consumer_lag_is_read_per_topic_partition_leaving_out_unknown_and_internal_partitions()
    {
        var lag = ConsumerLagStatistics.Parse(Statistics);
        Assert.Equal(3, lag.Count);
        Assert.Equal(12, lag[("router-logs", 0)]);
        Assert.Equal(0, lag[("router-logs", 1)]);
        Assert.Equal(7, lag[("other", 3)]);
        Assert.Empty(ConsumerLagStatistics.Parse("""{"name":"x","topics":{}}"""));
        Assert.Empty(ConsumerLagStatistics.Parse("""{"name":"producer"}"""));
        Assert.ThrowsAny<JsonException>(() => ConsumerLagStatistics.Parse("not json"));
    }

    [Fact]
    public void A_verdict_is_stale_only_beyond_three_evaluation_intervals()
    {
        var at = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        var verdict = ApiServer.Verdict("x", Decisions.Go, at);
        var interval = TimeSpan.FromSeconds(30);
        Assert.False(RolloutGates.IsStale(verdict, at.AddSeconds(90), interval));
        Assert.True(RolloutGates.IsStale(verdict, at.AddSeconds(90.001), interval));
        Assert.Equal(TimeSpan.Zero, RolloutGates.Age(verdict, at.AddSeconds(-5))); // clock skew never gives a negative age
    }

    [Theory]
    [InlineData(Decisions.Go, true, false)]
    [InlineData(Decisions.NoGo, false, true)]
    [InlineData(Decisions.Wait, false, false)]
    public void Promote_opens_on_go_and_rollback_on_no_go_each_saying_why(string decision, bool promote, bool rollback)
    {
        var verdict = ApiServer.Verdict("checkout", decision, DateTimeOffset.UtcNow);
        var p = RolloutGates.Promote(verdict);
        var r = RolloutGates.Rollback(verdict);
        Assert.Equal((promote, rollback), (p.Open, r.Open));
        Assert.Contains("because the test says so", p.Message);
        Assert.Contains($"checkout at 25 %: {decision}", r.Message);
    }

    [Theory]
    [InlineData("""{"name":"router","namespace":"shop","metadata":{"experiment":"holy"}}""", "holy")]
    [InlineData("""{"name":"router","namespace":"shop","metadata":{}}""", "shop/router|router")]
    [InlineData("""{"name":"router","namespace":"shop","metadata":{"experiment":"  "}}""", "shop/router|router")]
    [InlineData("""{"name":"router"}""", "router")]
    [InlineData("""{"namespace":"shop"}""", "")]
    [InlineData("""[1,2]""", "")]
    public void Flagger_payload_names_its_experiment_by_metadata_then_namespace_and_name_then_name(string payload, string expected)
    {
        using var doc = JsonDocument.Parse(payload);
        Assert.Equal(expected, string.Join('|', RolloutGates.FlaggerExperimentCandidates(doc.RootElement)));
    }

    [Fact]
    public void Liveness_names_the_loop_past_its_deadline_counting_from_start_before_its_first_round()
    {
        var start = new DateTimeOffset(2026, 11, 26, 9, 0, 0, TimeSpan.Zero);
        var deadline = TimeSpan.FromSeconds(120);
        var evaluation = TimeSpan.FromSeconds(150);
        WorkerHealthSnapshot At(double seconds, double? consumed, double? evaluated) => new(start.AddSeconds(seconds), start,
            consumed is null ? null : start.AddSeconds(consumed.Value), evaluated is null ? null : start.AddSeconds(evaluated.Value), true, 3);

        Assert.All(WorkerHealth.Liveness(At(100, null, null), deadline, evaluation), c => Assert.True(c.Ok)); // starting
        var stuck = WorkerHealth.Liveness(At(130, null, 10), deadline, evaluation);
        Assert.Equal([false, true], stuck.Select(c => c.Ok));
        Assert.Equal("no progress in the 130 s since start (deadline 120 s): stuck", stuck[0].Detail);
        var verdictStuck = WorkerHealth.Liveness(At(400, 399, 200), deadline, evaluation);
        Assert.Equal([true, false], verdictStuck.Select(c => c.Ok));
        Assert.Equal("last progress 200 s ago (deadline 150 s): stuck", verdictStuck[1].Detail);
    }

    [Fact]
    public void Readiness_needs_the_database_partitions_and_a_first_evaluation()
    {
        var now = DateTimeOffset.UtcNow;
        var ready = WorkerHealth.Readiness(new WorkerHealthSnapshot(now, now, now, now, true, 2));
        Assert.All(ready, c => Assert.True(c.Ok));
        var notReady = WorkerHealth.Readiness(new WorkerHealthSnapshot(now, now, now, null, true, 0));
        Assert.Equal(["partitions", "first_evaluation"], notReady.Where(c => !c.Ok).Select(c => c.Name));
    }

    [Fact]
    public void Readiness_says_when_a_worker_owning_only_some_partitions_withholds_verdicts()
    {
        var now = DateTimeOffset.UtcNow;
        var partial = WorkerHealth.Readiness(new WorkerHealthSnapshot(now, now, now, now, true, 2, LogAnalytics.Ingestion.PartitionOwnership.Partial, 6));
        Assert.All(partial, c => Assert.True(c.Ok)); // ready to ingest all the same
        var verdicts = Assert.Single(partial, c => c.Name == "verdicts");
        Assert.StartsWith("withheld: this worker owns 2 of the 6 partitions", verdicts.Detail);
        var all = WorkerHealth.Readiness(new WorkerHealthSnapshot(now, now, now, now, true, 6, LogAnalytics.Ingestion.PartitionOwnership.All, 6));
        Assert.StartsWith("published", Assert.Single(all, c => c.Name == "verdicts").Detail);
    }
}
