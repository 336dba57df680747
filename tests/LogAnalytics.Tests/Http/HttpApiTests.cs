using System.Net;
using System.Text.Json;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Http;

/// <summary>The HTTP surface in-process (real Kestrel on a free loopback port, real VerdictFeed, no Kafka): status codes
/// and JSON bodies of every route for go / no_go / wait, unknown, stale; gates; probes; metrics; bad input.</summary>
public sealed class HttpApiTests
{
    private static async Task<(HttpStatusCode Status, JsonElement Body)> JsonAnswer(HttpResponseMessage response)
    {
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var text = await response.Content.ReadAsStringAsync();
        using var doc = JsonDocument.Parse(text);
        return (response.StatusCode, doc.RootElement.Clone());
    }

    private static string Flagger(string name, string ns = "shop", string? experiment = null) =>
        JsonSerializer.Serialize(new
        {
            name,
            @namespace = ns,
            phase = "Progressing",
            checksum = "85d557f47b",
            metadata = experiment is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["experiment"] = experiment },
        });

    [Fact]
    public async Task Verdict_route_returns_the_topic_document_404_unknown_and_503_when_stale()
    {
        await using var api = await ApiServer.StartAsync();
        var now = DateTimeOffset.UtcNow;
        var fresh = ApiServer.Verdict("checkout", Decisions.Go, now.AddSeconds(-5));
        api.Feed.Update(fresh);
        api.Feed.Update(ApiServer.Verdict("old", Decisions.Go, now.AddSeconds(-91))); // > 3 x 30 s

        var ok = await api.Client.GetAsync("/v1/experiments/checkout/verdict");
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal("application/json", ok.Content.Headers.ContentType?.MediaType);
        Assert.Equal(fresh.ToJson(), await ok.Content.ReadAsStringAsync());

        var (status, body) = await JsonAnswer(await api.Client.GetAsync("/v1/experiments/nope/verdict"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("nope", body.GetProperty("experiment").GetString());
        Assert.Contains("no verdict", body.GetProperty("error").GetString());

        (status, body) = await JsonAnswer(await api.Client.GetAsync("/v1/experiments/old/verdict"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("old", body.GetProperty("experiment").GetString());
        Assert.InRange(body.GetProperty("age_seconds").GetDouble(), 91, 150);
        Assert.Contains("s old", body.GetProperty("error").GetString());

        (status, body) = await JsonAnswer(await api.Client.GetAsync("/v1/experiments"));
        Assert.Equal(HttpStatusCode.OK, status);
        var rows = body.GetProperty("experiments").EnumerateArray().ToDictionary(e => e.GetProperty("experiment").GetString()!);
        Assert.Equal(["checkout", "old"], rows.Keys.Order());
        Assert.Equal("go", rows["checkout"].GetProperty("decision").GetString());
        Assert.Equal(25, rows["checkout"].GetProperty("stage").GetDouble());
        Assert.Equal(50, rows["checkout"].GetProperty("next_stage").GetDouble());
        Assert.False(rows["checkout"].GetProperty("stale").GetBoolean());
        Assert.True(rows["old"].GetProperty("stale").GetBoolean());
        Assert.Equal(fresh.EvaluatedAt, rows["checkout"].GetProperty("evaluated_at").GetDateTimeOffset());
    }

    [Theory]
    [InlineData(Decisions.Go, HttpStatusCode.OK, HttpStatusCode.Conflict)]
    [InlineData(Decisions.NoGo, HttpStatusCode.Conflict, HttpStatusCode.OK)]
    [InlineData(Decisions.Wait, HttpStatusCode.Conflict, HttpStatusCode.Conflict)]
    public async Task Flagger_gates_open_only_on_their_decision(string decision, HttpStatusCode promote, HttpStatusCode rollback)
    {
        await using var api = await ApiServer.StartAsync();
        api.Feed.Update(ApiServer.Verdict("shop/checkout", decision, DateTimeOffset.UtcNow));

        foreach (var (path, expected) in new[] { ("/v1/gates/promote", promote), ("/v1/gates/rollback", rollback) })
        {
            var (status, body) = await JsonAnswer(await api.PostJsonAsync(path, Flagger("checkout")));
            Assert.Equal(expected, status);
            Assert.Equal("shop/checkout", body.GetProperty("experiment").GetString());
            Assert.Equal(decision, body.GetProperty("decision").GetString());
            if (expected == HttpStatusCode.Conflict)
            {
                Assert.Contains("because the test says so", body.GetProperty("error").GetString());
                Assert.Equal(2, body.GetProperty("reasons").GetArrayLength());
            }
        }
    }

    [Fact]
    public async Task Gates_find_the_experiment_in_metadata_then_namespace_and_name_then_name_and_halt_on_unknown_or_stale()
    {
        await using var api = await ApiServer.StartAsync();
        var now = DateTimeOffset.UtcNow;
        api.Feed.Update(ApiServer.Verdict("payments", Decisions.Go, now));
        api.Feed.Update(ApiServer.Verdict("shop/payments", Decisions.NoGo, now));
        api.Feed.Update(ApiServer.Verdict("plain", Decisions.Go, now));
        api.Feed.Update(ApiServer.Verdict("stale", Decisions.Go, now.AddMinutes(-10)));

        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync("/v1/gates/promote", Flagger("ignored", experiment: "payments"))).StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await api.PostJsonAsync("/v1/gates/promote", Flagger("payments"))).StatusCode); // shop/payments wins
        Assert.Equal(HttpStatusCode.OK, (await api.PostJsonAsync("/v1/gates/promote", Flagger("plain"))).StatusCode);
        var (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/gates/promote", Flagger("unknown")));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("shop/unknown, unknown", body.GetProperty("error").GetString());
        (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/gates/promote", Flagger("stale", ns: "x", experiment: "stale")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/gates/rollback", "{}"));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("names no experiment", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Stage_route_needs_an_api_key_and_rejects_bad_input_with_json_4xx_before_touching_kafka()
    {
        await using var api = await ApiServer.StartAsync(new Dictionary<string, string?>
        {
            ["Http:ApiKeys:0"] = "s3cret-key",
            ["Http:MaxRequestBodyBytes"] = "4096",
        });
        var (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/experiments/checkout/stage", """{"weight": 25}"""));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("checkout", body.GetProperty("experiment").GetString());
        Assert.Contains("Authorization: Bearer", body.GetProperty("error").GetString());
        (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/experiments/checkout/stage", """{"weight": 25}""", bearer: "wrong"));
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.DoesNotContain("wrong", body.GetRawText());

        var bad = new (string Body, HttpStatusCode Status, string Says)[]
        {
            ("{\"weight\": 25", HttpStatusCode.BadRequest, "not valid JSON"),
            ("", HttpStatusCode.BadRequest, "empty"),
            ("[25]", HttpStatusCode.BadRequest, "JSON object"),
            ("{\"weight\": 101}", HttpStatusCode.BadRequest, "outside 0..100"),
            ("{\"weight\": -1}", HttpStatusCode.BadRequest, "outside 0..100"),
            ("{\"weight\": \"lots\"}", HttpStatusCode.BadRequest, "\"weight\" is required"),
            ("{\"weight\": \"250\"}", HttpStatusCode.BadRequest, "outside 0..100"),
            ("{\"weight\": null}", HttpStatusCode.BadRequest, "\"weight\" is required"),
            ("{\"percent\": 25}", HttpStatusCode.BadRequest, "\"weight\" is required"),
            ("{\"weight\": 25, \"pad\": \"" + new string('x', 10_000) + "\"}", HttpStatusCode.RequestEntityTooLarge, "larger than 4096 bytes"),
        };
        foreach (var (text, expected, says) in bad)
        {
            (status, body) = await JsonAnswer(await api.PostJsonAsync("/v1/experiments/checkout/stage", text, bearer: "s3cret-key"));
            Assert.Equal(expected, status);
            Assert.Contains(says, body.GetProperty("error").GetString());
            Assert.Equal("checkout", body.GetProperty("experiment").GetString());
        }
        var gate = await JsonAnswer(await api.PostJsonAsync("/v1/gates/promote", new string(' ', 5000) + "{}"));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, gate.Status);
    }

    [Fact]
    public async Task Unknown_routes_and_wrong_methods_answer_json()
    {
        await using var api = await ApiServer.StartAsync();
        var (status, body) = await JsonAnswer(await api.Client.GetAsync("/v2/nothing"));
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Contains("/v2/nothing", body.GetProperty("error").GetString());
        (status, body) = await JsonAnswer(await api.Client.GetAsync("/v1/gates/promote"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        Assert.Contains("GET is not allowed", body.GetProperty("error").GetString());
        (status, _) = await JsonAnswer(await api.Client.DeleteAsync("/v1/experiments/x/verdict"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, status);
        (status, _) = await JsonAnswer(await api.PostJsonAsync("/v1/experiments/x/nothing", "{}"));
        Assert.Equal(HttpStatusCode.NotFound, status);
    }

    [Fact]
    public async Task Readyz_waits_for_database_partitions_and_first_evaluation_and_healthz_names_a_stuck_loop()
    {
        await using var api = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Http:ConsumeLoopDeadlineSeconds"] = "10" });
        var (status, body) = await JsonAnswer(await api.Client.GetAsync("/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        foreach (var check in new[] { "database", "partitions", "first_evaluation" })
        {
            Assert.False(body.GetProperty("checks").GetProperty(check).GetProperty("ok").GetBoolean());
        }

        api.OpenDatabase();
        api.Statistics.RecordAssignment(3);
        (status, body) = await JsonAnswer(await api.Client.GetAsync("/readyz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("not ready: first_evaluation no evaluation finished yet", body.GetProperty("error").GetString());
        api.Feed.RecordEvaluation(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(12));
        (status, body) = await JsonAnswer(await api.Client.GetAsync("/readyz"));
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", body.GetProperty("status").GetString());

        api.Statistics.RecordProgress(DateTimeOffset.UtcNow);
        (status, _) = await JsonAnswer(await api.Client.GetAsync("/healthz"));
        Assert.Equal(HttpStatusCode.OK, status);
        api.Statistics.RecordProgress(DateTimeOffset.UtcNow.AddSeconds(-60));
        (status, body) = await JsonAnswer(await api.Client.GetAsync("/healthz"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.StartsWith("not live: consume_loop last progress 60 s ago (deadline 10 s): stuck", body.GetProperty("error").GetString());
        Assert.True(body.GetProperty("checks").GetProperty("verdict_loop").GetProperty("ok").GetBoolean());
    }

    [Fact]
    public async Task Metrics_are_prometheus_text_and_verdict_gauges_follow_the_decision()
    {
        await using var api = await ApiServer.StartAsync();
        api.Feed.Update(ApiServer.Verdict("checkout", Decisions.Wait, DateTimeOffset.UtcNow, canary: 1200, relativeChange: 0.03));
        api.Statistics.RecordAssignment(2);
        api.Feed.RecordEvaluation(DateTimeOffset.UtcNow, TimeSpan.FromMilliseconds(250));

        async Task<IReadOnlyList<PrometheusText.Sample>> Scrape()
        {
            var response = await api.Client.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
            var (types, samples) = PrometheusText.Parse(await response.Content.ReadAsStringAsync());
            Assert.Equal("counter", types["loganalytics_events_consumed_total"]);
            Assert.Equal("histogram", types["loganalytics_batch_commit_duration_seconds"]);
            Assert.Equal("gauge", types["loganalytics_verdict"]);
            return samples;
        }

        var s = await Scrape();
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_verdict", ("experiment", "checkout"), ("decision", "wait")));
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_verdict", ("experiment", "checkout"), ("decision", "go")));
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_verdict", ("experiment", "checkout"), ("decision", "no_go")));
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_verdict_go", ("experiment", "checkout")));
        Assert.Equal(1200, PrometheusText.Value(s, "loganalytics_canary_samples", ("experiment", "checkout")));
        Assert.Equal(0.03, PrometheusText.Value(s, "loganalytics_guardrail_relative_change", ("experiment", "checkout"), ("metric", "latency_p95"))!.Value, 12);
        Assert.Equal(-0.01, PrometheusText.Value(s, "loganalytics_guardrail_ci_low", ("experiment", "checkout"), ("metric", "latency_p95"))!.Value, 12);
        Assert.Equal(0.07, PrometheusText.Value(s, "loganalytics_guardrail_ci_high", ("experiment", "checkout"), ("metric", "latency_p95"))!.Value, 12);
        Assert.Equal(2, PrometheusText.Value(s, "loganalytics_assigned_partitions"));
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_evaluation_duration_seconds_count"));
        Assert.Equal(0.25, PrometheusText.Value(s, "loganalytics_evaluation_duration_seconds_sum")!.Value, 9);

        api.Feed.Update(ApiServer.Verdict("checkout", Decisions.Go, DateTimeOffset.UtcNow, canary: 4000));
        s = await Scrape();
        Assert.Equal(0, PrometheusText.Value(s, "loganalytics_verdict", ("experiment", "checkout"), ("decision", "wait")));
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_verdict", ("experiment", "checkout"), ("decision", "go")));
        Assert.Equal(1, PrometheusText.Value(s, "loganalytics_verdict_go", ("experiment", "checkout")));
        Assert.Equal(4000, PrometheusText.Value(s, "loganalytics_canary_samples", ("experiment", "checkout")));
    }
}
