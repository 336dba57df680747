using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Kpis;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Kpis;

/// <summary>Error rate by class on each endpoint, with Retry-After: the analysts' query and the verdict's errors section,
/// on hand-counted events.</summary>
public sealed class ErrorTaxonomyTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly DuckDbEventStore _store = DuckDbEventStore.Open(":memory:");

    public void Dispose() => _store.Dispose();

    private static RequestEvent Request(string endpoint, int status, string? errorType = null, double? retryAfterMs = null) => new()
    {
        Timestamp = Start, Experiment = "migration", Endpoint = endpoint, LatencyMs = 100, StatusCode = status, ErrorType = errorType, RetryAfterMs = retryAfterMs,
    };

    private void StoreCanonicalMix()
    {
        // holy_sheep: 20 requests: 10 ok, 3 x 401, 1 x 403, 2 x 404, 2 x 429 (Retry-After 2 s and 8 s), 1 x 503, 1 stream cut (200 + error_type)
        // legacy: 10 requests: 8 ok, 1 x 429 without Retry-After, 1 x 0 (transport)
        var events = new List<RequestEvent>();
        events.AddRange(Enumerable.Repeat(Request("holy_sheep", 200), 10));
        events.AddRange(Enumerable.Repeat(Request("holy_sheep", 401), 3));
        events.Add(Request("holy_sheep", 403));
        events.AddRange(Enumerable.Repeat(Request("holy_sheep", 404), 2));
        events.Add(Request("holy_sheep", 429, "rate_limit", 2000));
        events.Add(Request("holy_sheep", 429, "rate_limit", 8000));
        events.Add(Request("holy_sheep", 503, "server_error"));
        events.Add(Request("holy_sheep", 200, "stream_cut"));
        events.AddRange(Enumerable.Repeat(Request("legacy", 200), 8));
        events.Add(Request("legacy", 429, "rate_limit"));
        events.Add(Request("legacy", 0, "transport"));
        var batch = new IngestBatch();
        for (var i = 0; i < events.Count; i++)
        {
            batch.Add(new SourcePosition("t", 0, i), DecodeResult.Accept(events[i]), null, null, Start);
        }
        _store.Write(batch);
    }

    [Fact]
    public void The_analyst_query_gives_each_endpoints_error_rate_by_class_and_the_retry_after()
    {
        StoreCanonicalMix();
        using var cmd = _store.Connection.CreateCommand();
        cmd.CommandText = SqlScripts.Load("queries/error_taxonomy_by_endpoint.sql");
        using var reader = cmd.ExecuteReader();
        var rows = new Dictionary<string, Dictionary<string, object?>>();
        while (reader.Read())
        {
            rows[reader.GetString(reader.GetOrdinal("endpoint"))] = Enumerable.Range(0, reader.FieldCount)
                .ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i));
        }
        var canary = rows["holy_sheep"];
        Assert.Equal(20L, Convert.ToInt64(canary["requests"]));
        Assert.Equal(10L, Convert.ToInt64(canary["errors"]));
        Assert.Equal(0.5, Convert.ToDouble(canary["error_rate"]));
        Assert.Equal(0.2, Convert.ToDouble(canary["auth_rate"]));           // 4 / 20
        Assert.Equal(0.1, Convert.ToDouble(canary["bad_request_rate"]));    // 2 / 20
        Assert.Equal(0.1, Convert.ToDouble(canary["rate_limit_rate"]));     // 2 / 20
        Assert.Equal(0.05, Convert.ToDouble(canary["server_rate"]));        // 1 / 20
        Assert.Equal(0.05, Convert.ToDouble(canary["timeout_transport_rate"])); // the stream cut
        Assert.Equal(2L, Convert.ToInt64(canary["rate_limited_with_retry_after"]));
        Assert.Equal(5.0, Convert.ToDouble(canary["retry_after_median_s"]));
        Assert.Equal(8.0, Convert.ToDouble(canary["retry_after_max_s"]));
        var baseline = rows["legacy"];
        Assert.Equal(0.2, Convert.ToDouble(baseline["error_rate"]));
        Assert.Equal(0L, Convert.ToInt64(baseline["rate_limited_with_retry_after"]));
        Assert.Null(baseline["retry_after_median_s"]);
    }

    [Fact]
    public void The_verdict_reports_error_classes_per_side_and_names_the_auth_burst_as_a_configuration_mistake()
    {
        StoreCanonicalMix();
        var experiment = ExperimentCatalog.Defaults("migration") with { BaselineEndpoint = "legacy", CanaryEndpoint = "holy_sheep" };
        var sample = new ExperimentSampleReader(_store.Connection).Read(experiment, Start.AddHours(1));
        var errors = VerdictFigures.Errors(sample);

        Assert.Equal(new ErrorClassFigures(4, 0.2), errors.Canary["auth"]);
        Assert.Equal(new ErrorClassFigures(2, 0.1, RetryAfterMedianMs: 5000, RetryAfterMaxMs: 8000), errors.Canary["rate_limit"]);
        Assert.Equal(new ErrorClassFigures(1, 0.1), errors.Baseline["rate_limit"]);
        Assert.Equal(new ErrorClassFigures(1, 0.1), errors.Baseline["timeout_transport"]);
        Assert.Equal([2000.0, 8000.0], sample.Canary.RetryAfterMs);
    }
}
