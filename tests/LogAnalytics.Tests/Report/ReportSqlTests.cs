using DuckDB.NET.Data;
using LogAnalytics.Experiments;
using LogAnalytics.Report.Data;
using LogAnalytics.Statistics;

namespace LogAnalytics.Tests.Report;

/// <summary>What the plots draw (read with sql/report) checked against independent queries on the same file: raw tables
/// instead of the views, DuckDB's time_bucket instead of epoch arithmetic, status codes instead of error classes, and
/// the Wilson bound of LogAnalytics.Statistics (checked against statsmodels) instead of the SQL formula.</summary>
public sealed class ReportSqlTests : IClassFixture<ReportDatabase>, IDisposable
{
    private readonly DuckDBConnection _connection;
    private readonly ExperimentReportData _data;

    public ReportSqlTests(ReportDatabase db)
    {
        _connection = new DuckDBConnection($"Data Source={db.Path};ACCESS_MODE=READ_ONLY");
        _connection.Open();
        Execute("SET TimeZone = 'UTC'");
        _data = new ReportQueries(_connection).Read(ExperimentCatalog.Resolve(db.Settings, "checkout"), ReportDatabase.Start, ReportDatabase.End);
    }

    public void Dispose() => _connection.Dispose();

    [Fact]
    public void The_buckets_are_15_minutes_for_six_hours_of_events()
    {
        Assert.Equal(900, _data.BucketSeconds);
        Assert.Equal(24, _data.LatencyOverTime.Count(b => b.Side == "baseline"));
    }

    [Fact]
    public void The_percentile_series_equal_quantile_cont_over_time_bucket_of_the_raw_requests()
    {
        var expected = Rows("""
            SELECT variant, epoch(time_bucket(INTERVAL 15 MINUTE, ts)), count(*),
                   quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.95), quantile_cont(latency_ms, 0.99)
            FROM requests WHERE experiment = 'checkout' GROUP BY ALL ORDER BY 1, 2
            """);
        Assert.Equal(expected.Count, _data.LatencyOverTime.Count);
        foreach (var (row, bucket) in expected.Zip(_data.LatencyOverTime))
        {
            Assert.Equal((string)row[0]!, bucket.Side);
            Assert.Equal(Convert.ToDouble(row[1]), bucket.BucketStart);
            Assert.Equal(Convert.ToInt64(row[2]), bucket.Requests);
            Assert.Equal(Convert.ToDouble(row[3]), bucket.P50.Value, 9);
            Assert.Equal(Convert.ToDouble(row[4]), bucket.P95.Value, 9);
            Assert.Equal(Convert.ToDouble(row[5]), bucket.P99.Value, 9);
        }
    }

    [Fact]
    public void Each_percentile_interval_is_the_pair_of_order_statistics_around_rank_n_q()
    {
        var latencies = Rows("SELECT variant, epoch(time_bucket(INTERVAL 15 MINUTE, ts)), latency_ms FROM requests WHERE experiment = 'checkout'")
            .GroupBy(r => ((string)r[0]!, Convert.ToDouble(r[1])))
            .ToDictionary(g => g.Key, g => g.Select(r => Convert.ToDouble(r[2])).Order().ToArray());
        foreach (var bucket in _data.LatencyOverTime)
        {
            var sorted = latencies[(bucket.Side, bucket.BucketStart)];
            foreach (var (q, p) in new[] { (0.5, bucket.P50), (0.95, bucket.P95), (0.99, bucket.P99) })
            {
                var n = sorted.Length;
                var half = 1.959964 * Math.Sqrt(n * q * (1 - q));
                var low = sorted[Math.Max(1, (int)Math.Floor(n * q - half)) - 1];
                var high = sorted[Math.Min(n, (int)Math.Ceiling(n * q + half) + 1) - 1];
                Assert.Equal(low, p.Low);
                Assert.Equal(high, p.High);
                Assert.InRange(p.Value, p.Low, p.High);
            }
        }
    }

    [Fact]
    public void The_cdf_gives_the_exact_share_of_requests_at_or_below_each_point()
    {
        foreach (var side in Sides.Both)
        {
            var points = _data.LatencyCdf.Where(c => c.Side == side).ToList();
            Assert.True(points.Count > 50, $"{side}: {points.Count} points");
            Assert.Equal(1.0, points[^1].CumulativeShare, 12);
            var all = Rows($"SELECT latency_ms FROM requests WHERE experiment = 'checkout' AND variant = '{side}'").Select(r => Convert.ToDouble(r[0])).ToArray();
            foreach (var point in points)
            {
                Assert.Equal(all.Count(l => l <= point.LatencyMs) / (double)all.Length, point.CumulativeShare, 12);
            }
        }
    }

    [Fact]
    public void The_stacked_error_rates_equal_status_code_counts_per_bucket()
    {
        var expected = Rows("""
            SELECT variant, epoch(time_bucket(INTERVAL 15 MINUTE, ts)), count(*),
                   count(*) FILTER (WHERE status_code BETWEEN 500 AND 599 AND status_code <> 504),
                   count(*) FILTER (WHERE status_code = 429),
                   count(*) FILTER (WHERE status_code IN (0, 504)),
                   count(*) FILTER (WHERE status_code = 401),
                   count(*) FILTER (WHERE status_code = 404),
                   count(*) FILTER (WHERE status_code <> 200)
            FROM requests WHERE experiment = 'checkout' GROUP BY ALL ORDER BY 1, 2
            """);
        Assert.Equal(expected.Count, _data.ErrorsOverTime.Count);
        foreach (var (row, bucket) in expected.Zip(_data.ErrorsOverTime))
        {
            var n = Convert.ToDouble(row[2]);
            Assert.Equal(Convert.ToDouble(row[1]), bucket.BucketStart);
            Assert.Equal(Convert.ToDouble(row[3]) / n, bucket.ByClass["server"], 12);
            Assert.Equal(Convert.ToDouble(row[4]) / n, bucket.ByClass["rate_limit"], 12);
            Assert.Equal(Convert.ToDouble(row[5]) / n, bucket.ByClass["timeout_transport"], 12);
            Assert.Equal(Convert.ToDouble(row[6]) / n, bucket.ByClass["auth"], 12);
            Assert.Equal(Convert.ToDouble(row[7]) / n, bucket.ByClass["bad_request"], 12);
            Assert.Equal(0, bucket.ByClass["other"]);
            Assert.Equal(Convert.ToDouble(row[8]) / n, bucket.ErrorRate, 12);
            Assert.Equal(bucket.ErrorRate, bucket.ByClass.Values.Sum(), 12);
        }
        Assert.Contains(_data.ErrorsOverTime, b => b.ByClass["auth"] > 0); // the canary's 401s are there to be stacked
    }

    [Fact]
    public void Cost_per_1000_requests_per_side_and_model_equals_the_events_cost_with_unbilled_failures_at_zero()
    {
        var expected = Rows("""
            SELECT variant, model, count(*), 1000 * sum(coalesce(cost_usd, 0)) / count(*), avg(prompt_tokens + completion_tokens)
            FROM requests WHERE experiment = 'checkout' GROUP BY GROUPING SETS ((variant), (variant, model)) ORDER BY 1, 2 NULLS FIRST
            """);
        Assert.Equal(expected.Count, _data.Costs.Count);
        foreach (var (row, cost) in expected.Zip(_data.Costs))
        {
            Assert.Equal((string)row[0]!, cost.Side);
            Assert.Equal((string?)row[1], cost.Model);
            Assert.Equal(Convert.ToInt64(row[2]), cost.Requests);
            Assert.Equal(Convert.ToDouble(row[3]), cost.CostPer1kRequestsUsd!.Value, 9);
            Assert.Equal(Convert.ToDouble(row[4]), cost.TokensPerRequest!.Value, 9);
        }
    }

    [Fact]
    public void The_match_rate_series_and_its_lower_bound_equal_the_statistics_libraries_wilson_interval()
    {
        var expected = Rows("""
            SELECT epoch(time_bucket(INTERVAL 15 MINUTE, ts)), count(*), count(*) FILTER (WHERE content_match AND finish_reason_match)
            FROM validations WHERE experiment = 'checkout' GROUP BY 1 ORDER BY 1
            """);
        Assert.Equal(expected.Count, _data.ValidationOverTime.Count);
        foreach (var (row, bucket) in expected.Zip(_data.ValidationOverTime))
        {
            var events = Convert.ToInt64(row[1]);
            var matches = Convert.ToInt64(row[2]);
            Assert.Equal(Convert.ToDouble(row[0]), bucket.BucketStart);
            Assert.Equal(events, bucket.Events);
            Assert.Equal(matches, bucket.Matches);
            Assert.Equal(WilsonInterval.Bounds(matches, events, 1.959964).Interval.Lower, bucket.WilsonLow, 9);
        }
        Assert.Equal(Rows("SELECT count(*) FROM validations WHERE experiment = 'checkout' AND similarity IS NOT NULL").Select(r => Convert.ToInt64(r[0])).Single(),
            _data.Similarity.Sum(b => b.Events));
    }

    [Fact]
    public void The_model_table_has_each_models_requests_p99_and_error_rate()
    {
        var expected = Rows("""
            SELECT variant, model, count(*), quantile_cont(latency_ms, 0.99), avg((status_code <> 200)::INTEGER)
            FROM requests WHERE experiment = 'checkout' GROUP BY ALL
            """).ToDictionary(r => ((string)r[0]!, (string)r[1]!));
        Assert.Equal(expected.Count, _data.Models.Count);
        foreach (var m in _data.Models)
        {
            var row = expected[(m.Side, m.Model)];
            Assert.Equal(Convert.ToInt64(row[2]), m.Requests);
            Assert.Equal(Convert.ToDouble(row[3]), m.P99Ms, 9);
            Assert.Equal(Convert.ToDouble(row[4]), m.ErrorRate, 12);
        }
    }

    [Fact]
    public void The_timeline_has_every_stored_verdict_and_the_stage_change()
    {
        Assert.Equal(18, _data.Timeline.Count); // every 20 minutes over 6 hours
        Assert.Equal([5.0, 25.0], _data.Timeline.Select(t => t.Stage!.Value).Distinct());
    }

    private void Execute(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private List<object?[]> Rows(string sql)
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        using var reader = cmd.ExecuteReader();
        var rows = new List<object?[]>();
        while (reader.Read())
        {
            rows.Add(Enumerable.Range(0, reader.FieldCount).Select(i => reader.IsDBNull(i) ? null : reader.GetValue(i)).ToArray());
        }
        return rows;
    }
}
