using LogAnalytics.Ingestion;
using LogAnalytics.Publishing;
using LogAnalytics.Verdicts;
using Prometheus;

namespace LogAnalytics.Http.Metrics;

/// <summary>
/// The Prometheus metrics of the worker, in a registry of their own. Core stays free of any metrics library: counters and
/// gauges are copied from <see cref="IngestionStatistics"/> and <see cref="VerdictFeed"/> (which the live view and the
/// probes also read) just before each scrape, and the histograms observe the events those two raise per batch and per
/// evaluation round. Labels come from small fixed sets: experiment, metric, decision, topic, partition, reason.
/// </summary>
public sealed class LogAnalyticsMetrics : IDisposable
{
    private static readonly string[] DecisionLabels = [Decisions.Go, Decisions.NoGo, Decisions.Wait];
    private readonly IngestionStatistics _statistics;
    private readonly VerdictFeed _feed;
    private readonly Counter _consumed, _rejected, _stored, _quarantined, _batches;
    private readonly Gauge _lag, _assigned, _lastStored, _verdict, _verdictGo, _canarySamples, _baselineSamples, _stage, _evaluatedAt;
    private readonly Gauge _change, _ciLow, _ciHigh, _margin;
    private readonly Histogram _batchSize, _commitSeconds, _evaluationSeconds;
    private HashSet<(string, int)> _lagSeries = [];

    /// <summary>The registry <c>/metrics</c> exports.</summary>
    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    /// <summary>Creates the metrics and subscribes to the statistics' and the feed's events.</summary>
    public LogAnalyticsMetrics(IngestionStatistics statistics, VerdictFeed feed)
    {
        _statistics = statistics;
        _feed = feed;
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        _consumed = f.CreateCounter("loganalytics_events_consumed_total", "Messages read from Kafka.");
        _rejected = f.CreateCounter("loganalytics_events_rejected_total", "Messages read from Kafka that failed to decode.");
        _stored = f.CreateCounter("loganalytics_events_stored_total", "Event rows (requests, validations, stages) stored in DuckDB.");
        _quarantined = f.CreateCounter("loganalytics_events_quarantined_total", "Messages stored in the quarantine table, by reason code.", "reason");
        _batches = f.CreateCounter("loganalytics_batches_committed_total", "Batches stored in DuckDB.");
        _lag = f.CreateGauge("loganalytics_consumer_lag_messages", "Messages behind the partition's high watermark (librdkafka statistics).", "topic", "partition");
        _assigned = f.CreateGauge("loganalytics_assigned_partitions", "Partitions this worker owns.");
        _lastStored = f.CreateGauge("loganalytics_last_stored_event_timestamp_seconds", "Event timestamp (Unix seconds) of the newest stored event.");
        _batchSize = f.CreateHistogram("loganalytics_batch_size_messages", "Messages per stored batch.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(1, 4, 9) });
        _commitSeconds = f.CreateHistogram("loganalytics_batch_commit_duration_seconds", "Time to store one batch (rows and offsets, one DuckDB transaction).",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });
        _evaluationSeconds = f.CreateHistogram("loganalytics_evaluation_duration_seconds", "Time to evaluate every experiment once.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.005, 2, 14) });
        _verdict = f.CreateGauge("loganalytics_verdict", "1 for the experiment's current decision, 0 for the others.", "experiment", "decision");
        _verdictGo = f.CreateGauge("loganalytics_verdict_go", "1 when the experiment's current decision is go, else 0.", "experiment");
        _canarySamples = f.CreateGauge("loganalytics_canary_samples", "Canary requests in the current stage's window.", "experiment");
        _baselineSamples = f.CreateGauge("loganalytics_baseline_samples", "Baseline requests in the current stage's window.", "experiment");
        _stage = f.CreateGauge("loganalytics_stage_percent", "The canary's current traffic share in percent.", "experiment");
        _evaluatedAt = f.CreateGauge("loganalytics_verdict_timestamp_seconds", "When the experiment's latest verdict was computed (Unix seconds).", "experiment");
        _change = f.CreateGauge("loganalytics_guardrail_relative_change", "Guardrail: canary / baseline - 1.", "experiment", "metric");
        _ciLow = f.CreateGauge("loganalytics_guardrail_ci_low", "Guardrail: lower bound of the always-valid interval, on the margin's scale.", "experiment", "metric");
        _ciHigh = f.CreateGauge("loganalytics_guardrail_ci_high", "Guardrail: upper bound of the always-valid interval, on the margin's scale.", "experiment", "metric");
        _margin = f.CreateGauge("loganalytics_guardrail_margin", "Guardrail: the non-inferiority margin, on the interval's scale.", "experiment", "metric");
        Registry.AddBeforeCollectCallback(Refresh);
        statistics.BatchCommitted += OnBatch;
        feed.Evaluated += OnEvaluated;
    }

    private void OnBatch(BatchCommit commit)
    {
        _batchSize.Observe(commit.Messages);
        _commitSeconds.Observe(commit.Duration.TotalSeconds);
    }

    private void OnEvaluated(TimeSpan duration) => _evaluationSeconds.Observe(duration.TotalSeconds);

    /// <summary>Copies the current figures into the gauges and counters (before each scrape).</summary>
    private void Refresh()
    {
        _consumed.IncTo(_statistics.Consumed);
        _rejected.IncTo(_statistics.Rejected);
        _stored.IncTo(_statistics.Stored);
        _batches.IncTo(_statistics.Batches);
        foreach (var (reason, count) in _statistics.QuarantinedByReason)
        {
            _quarantined.WithLabels(reason).IncTo(count);
        }
        _assigned.Set(_statistics.AssignedPartitions);
        if (_statistics.LastStoredEventTimestamp is { } last)
        {
            _lastStored.Set(last.ToUnixTimeMilliseconds() / 1000.0);
        }
        var lag = _statistics.ConsumerLag;
        foreach (var gone in _lagSeries.Where(s => !lag.ContainsKey(s)))
        {
            _lag.RemoveLabelled(gone.Item1, gone.Item2.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        foreach (var ((topic, partition), messages) in lag)
        {
            _lag.WithLabels(topic, partition.ToString(System.Globalization.CultureInfo.InvariantCulture)).Set(messages);
        }
        _lagSeries = lag.Keys.ToHashSet();

        foreach (var v in _feed.Latest())
        {
            foreach (var d in DecisionLabels)
            {
                _verdict.WithLabels(v.Experiment, d).Set(v.Decision == d ? 1 : 0);
            }
            _verdictGo.WithLabels(v.Experiment).Set(v.Decision == Decisions.Go ? 1 : 0);
            _canarySamples.WithLabels(v.Experiment).Set(v.Samples.Canary);
            _baselineSamples.WithLabels(v.Experiment).Set(v.Samples.Baseline);
            _stage.WithLabels(v.Experiment).Set(v.CurrentStage);
            _evaluatedAt.WithLabels(v.Experiment).Set(v.EvaluatedAt.ToUnixTimeMilliseconds() / 1000.0);
            foreach (var check in v.Checks)
            {
                SetOrRemove(_change, v.Experiment, check.Metric, check.RelativeChange);
                SetOrRemove(_ciLow, v.Experiment, check.Metric, check.CiLow);
                SetOrRemove(_ciHigh, v.Experiment, check.Metric, check.CiHigh);
                SetOrRemove(_margin, v.Experiment, check.Metric, check.Margin);
            }
        }
    }

    private static void SetOrRemove(Gauge gauge, string experiment, string metric, double? value)
    {
        if (value is { } x && double.IsFinite(x))
        {
            gauge.WithLabels(experiment, metric).Set(x);
        }
        else
        {
            gauge.RemoveLabelled(experiment, metric);
        }
    }

    /// <summary>The Prometheus text exposition (format 0.0.4) of every metric.</summary>
    public async Task<byte[]> ExportAsync(CancellationToken ct)
    {
        using var stream = new MemoryStream();
        await Registry.CollectAndExportAsTextAsync(stream, ct);
        return stream.ToArray();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _statistics.BatchCommitted -= OnBatch;
        _feed.Evaluated -= OnEvaluated;
    }
}
