using System.Text;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Tests.Http;

/// <summary>What the consume loop records per stored batch reaches /metrics: quarantined messages by reason, the batch
/// size and commit duration histograms, the newest stored event's timestamp, and consumer lag per partition.</summary>
public sealed class IngestionMetricsTests
{
    [Fact]
    public async Task A_stored_batch_shows_up_as_counters_histograms_and_timestamps()
    {
        await using var api = await ApiServer.StartAsync();
        var decoder = new EventDecoder();
        var batch = new IngestBatch();
        var messages = new[]
        {
            """{"timestamp":"2026-11-26T09:00:00.250Z","endpoint":"legacy","latency_ms":800,"status_code":200}""",
            """{"timestamp":"2026-11-26T09:00:05.500Z","endpoint":"holy_sheep","latency_ms":700,"status_code":200}""",
            "not json",
            "{also not json",
            """{"timestamp":"2026-11-26T09:00:01Z","endpoint":"legacy","status_code":200}""",
        };
        for (var i = 0; i < messages.Length; i++)
        {
            var raw = Encoding.UTF8.GetBytes(messages[i]);
            batch.Add(new SourcePosition("router-logs", 0, i), decoder.Decode(raw), null, raw, DateTimeOffset.UtcNow);
        }
        BatchCommit? seen = null;
        api.Statistics.BatchCommitted += c => seen = c;
        api.Statistics.RecordCommit(batch, TimeSpan.FromMilliseconds(40));
        api.Statistics.RecordConsumerLag("""{"topics":{"router-logs":{"partitions":{"0":{"consumer_lag":5},"1":{"consumer_lag":0}}}}}""");

        Assert.Equal(new BatchCommit(5, TimeSpan.FromMilliseconds(40)), seen);
        Assert.Equal(DateTimeOffset.Parse("2026-11-26T09:00:05.500Z", System.Globalization.CultureInfo.InvariantCulture), api.Statistics.LastStoredEventTimestamp);
        var (_, s) = PrometheusText.Parse(await api.Client.GetStringAsync("/metrics"));
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_events_quarantined_total", ("reason", "not_json"))); // "{also not json"
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_events_quarantined_total", ("reason", "not_an_event"))); // "not json": prose
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_events_quarantined_total", ("reason", "missing_field")));
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_batch_size_messages_count"));
        Assert.Equal(5, PrometheusText.Value(s, "loganalytics_batch_size_messages_sum"));
        Assert.Equal(0.04, PrometheusText.Value(s, "loganalytics_batch_commit_duration_seconds_sum")!.Value, 9);
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_batch_commit_duration_seconds_bucket", ("le", "0.064")));
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_batch_commit_duration_seconds_bucket", ("le", "0.032")));
        Assert.Equal(1795683605.5, // 2026-11-26T09:00:05.5Z in Unix seconds (python3 datetime)
            PrometheusText.Value(s, "loganalytics_last_stored_event_timestamp_seconds")!.Value, 3);
        Assert.Equal(5, PrometheusText.Value(s, "loganalytics_consumer_lag_messages", ("topic", "router-logs"), ("partition", "0")));
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_consumer_lag_messages", ("topic", "router-logs"), ("partition", "1")));

        // A partition that is no longer fetched (revoked) disappears from the lag gauge.
        api.Statistics.RecordConsumerLag("""{"topics":{"router-logs":{"partitions":{"1":{"consumer_lag":3}}}}}""");
        (_, s) = PrometheusText.Parse(await api.Client.GetStringAsync("/metrics"));
        Assert.Null(PrometheusText.Value(s, "loganalytics_consumer_lag_messages", ("topic", "router-logs"), ("partition", "0")));
        Assert.Equal(3, PrometheusText.Value(s, "loganalytics_consumer_lag_messages", ("topic", "router-logs"), ("partition", "1")));
    }
}
