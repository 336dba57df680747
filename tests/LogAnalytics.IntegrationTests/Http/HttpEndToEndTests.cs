using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LogAnalytics.IntegrationTests.Infrastructure;
using LogAnalytics.IntegrationTests.Support;
using LogAnalytics.IntegrationTests.Verdicts;
using LogAnalytics.Verdicts;

namespace LogAnalytics.IntegrationTests.Http;

/// <summary>Router traffic through a real broker into the worker with its HTTP surface on a free loopback port: healthy,
/// degraded and broken-split experiments answer go / no_go / wait on every route; README's Argo template reads them as
/// Successful / Failed / Inconclusive; Flagger's gates open on the right decision; /metrics and the probes reflect the
/// worker; a stage POSTed over HTTP is stored exactly once through Kafka and bad ones are refused with nothing stored.</summary>
[Collection("kafka")]
public sealed class HttpEndToEndTests(KafkaFixture kafka) : IDisposable
{
    private const string ApiKey = "test-key-8c1f";
    private readonly string _dir = Directory.CreateTempSubdirectory("la-http-").FullName;

    private static Dictionary<string, string?> Settings(KafkaFixture kafka, string topic, string db, string[] ids)
    {
        var settings = WorkerHost.Settings(kafka.BootstrapServers, topic, db, kafka.ClientOverrides);
        settings["Experiments:EvaluationIntervalSeconds"] = "1";
        settings["Http:Urls"] = "http://127.0.0.1:0";
        settings["Http:ApiKeys:0"] = ApiKey;
        settings["Kafka:Client:statistics.interval.ms"] = "1000";
        WorkerHost.AddExperiments(settings, ids);
        return settings;
    }

    private static async Task<(HttpStatusCode Status, string Body)> Send(HttpClient http, HttpMethod method, string path, string? body = null, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
        using var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        if (path != "/metrics")
        {
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            using var _ = JsonDocument.Parse(text); // every answer is JSON
        }
        return (response.StatusCode, text);
    }

    private static string Prop(string json, params string[] path)
    {
        using var doc = JsonDocument.Parse(json);
        var e = doc.RootElement;
        foreach (var p in path)
        {
            e = e.GetProperty(p);
        }
        return e.ValueKind == JsonValueKind.String ? e.GetString()! : e.GetRawText();
    }

    private static string Flagger(string experiment) =>
        JsonSerializer.Serialize(new { name = "router", @namespace = "shop", phase = "Progressing", checksum = "6b9c1f", metadata = new { experiment } });

    [Fact]
    public async Task Rollout_tools_read_go_no_go_and_wait_over_http_and_stage_posts_are_stored_once()
    {
        var topic = $"http-{Guid.NewGuid():N}";
        await kafka.CreateTopicAsync(topic, partitions: 3);
        var start = DateTimeOffset.UtcNow.AddMinutes(-10);
        await kafka.ProduceAsync(topic, VerdictEndToEndTests.Traffic("healthy", 12_000, 0.25, 1.0, 0.01, start, seed: 11)
            .Concat(VerdictEndToEndTests.Traffic("degraded", 12_000, 0.25, 1.6, 0.06, start, seed: 12))
            .Concat(VerdictEndToEndTests.Traffic("broken-split", 12_000, 0.45, 1.0, 0.01, start, seed: 13)));
        var db = Path.Combine(_dir, "http.duckdb");
        var expected = new Dictionary<string, string> { ["healthy"] = Decisions.Go, ["degraded"] = Decisions.NoGo, ["broken-split"] = Decisions.Wait };

        await using var worker = await WorkerHost.StartAsync(Settings(kafka, topic, db, [.. expected.Keys]));
        using var http = new HttpClient { BaseAddress = worker.HttpAddress ?? throw new InvalidOperationException("no HTTP address"), Timeout = TimeSpan.FromSeconds(30) };

        string list = "";
        await Eventually.UntilAsync(() =>
        {
            list = Send(http, HttpMethod.Get, "/v1/experiments").GetAwaiter().GetResult().Body;
            using var doc = JsonDocument.Parse(list);
            var rows = doc.RootElement.GetProperty("experiments").EnumerateArray()
                .ToDictionary(r => r.GetProperty("experiment").GetString()!, r => (Decision: r.GetProperty("decision").GetString(),
                    Samples: r.GetProperty("baseline_samples").GetInt64() + r.GetProperty("canary_samples").GetInt64()));
            return expected.All(e => rows.TryGetValue(e.Key, out var row) && row.Decision == e.Value && row.Samples >= 11_000);
        }, TimeSpan.FromSeconds(120), () => list);

        // Verdicts, and README's Argo template applied to them.
        var argo = ArgoAnalysis.FromReadme();
        var argoPhase = new Dictionary<string, string> { [Decisions.Go] = "Successful", [Decisions.NoGo] = "Failed", [Decisions.Wait] = "Inconclusive" };
        foreach (var (id, decision) in expected)
        {
            // 503 is the route's answer to a verdict older than three evaluation intervals (1 s here): on a loaded CI
            // machine one round may take longer, and the next one answers.
            var (status, body) = (HttpStatusCode.ServiceUnavailable, "");
            await Eventually.UntilAsync(() =>
            {
                (status, body) = Send(http, HttpMethod.Get, $"/v1/experiments/{id}/verdict").GetAwaiter().GetResult();
                return status != HttpStatusCode.ServiceUnavailable || !body.Contains("evaluation intervals", StringComparison.Ordinal);
            }, TimeSpan.FromSeconds(60), () => $"{id}: {(int)status} {body}");
            Assert.True(status == HttpStatusCode.OK, $"{id}: {(int)status} {body}");
            var verdict = Verdict.FromJson(body)!;
            Assert.Equal((Verdict.SchemaId, id, decision), (verdict.Schema, verdict.Experiment, verdict.Decision));
            Assert.Equal(verdict.ToJson(), body); // the topic's serialization, unchanged
            Assert.Equal(argoPhase[decision], argo.Measure((int)status, body));
        }
        var unknown = await Send(http, HttpMethod.Get, "/v1/experiments/never-seen/verdict");
        Assert.Equal(HttpStatusCode.NotFound, unknown.Status);
        Assert.Equal("never-seen", Prop(unknown.Body, "experiment"));
        Assert.Equal("Error", argo.Measure((int)unknown.Status, unknown.Body));

        // Flagger gates.
        foreach (var (id, decision) in expected)
        {
            var promote = await Send(http, HttpMethod.Post, "/v1/gates/promote", Flagger(id));
            var rollback = await Send(http, HttpMethod.Post, "/v1/gates/rollback", Flagger(id));
            Assert.Equal(decision == Decisions.Go ? HttpStatusCode.OK : HttpStatusCode.Conflict, promote.Status);
            Assert.Equal(decision == Decisions.NoGo ? HttpStatusCode.OK : HttpStatusCode.Conflict, rollback.Status);
            Assert.Equal(decision, Prop(promote.Body, "decision"));
            if (decision != Decisions.Go)
            {
                Assert.Contains($"{decision}, do not promote", Prop(promote.Body, "error"));
            }
        }

        // Probes.
        Assert.Equal(HttpStatusCode.OK, (await Send(http, HttpMethod.Get, "/healthz")).Status);
        var ready = await Send(http, HttpMethod.Get, "/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.Status);
        Assert.Equal("ready", Prop(ready.Body, "status"));

        // Metrics: the verdict gauges, counters from the consume loop, lag from librdkafka statistics.
        IReadOnlyList<(string Line, string Name, double Value)> samples = [];
        await Eventually.UntilAsync(() =>
        {
            samples = ParseMetrics(Send(http, HttpMethod.Get, "/metrics").GetAwaiter().GetResult().Body);
            return samples.Count(s => s.Name == "loganalytics_consumer_lag_messages" && s.Line.Contains($"topic=\"{topic}\"", StringComparison.Ordinal) && s.Value == 0) == 3;
        }, TimeSpan.FromSeconds(60), () => string.Join('\n', samples.Where(s => s.Name.Contains("lag", StringComparison.Ordinal)).Select(s => s.Line)));
        foreach (var (id, decision) in expected)
        {
            foreach (var d in new[] { Decisions.Go, Decisions.NoGo, Decisions.Wait })
            {
                Assert.Equal(d == decision ? 1 : 0, Metric(samples, "loganalytics_verdict", $"experiment=\"{id}\"", $"decision=\"{d}\""));
            }
            Assert.Equal(decision == Decisions.Go ? 1 : 0, Metric(samples, "loganalytics_verdict_go", $"experiment=\"{id}\""));
            Assert.InRange(Metric(samples, "loganalytics_canary_samples", $"experiment=\"{id}\""), 2_500, 6_000);
        }
        Assert.Equal(36_003, Metric(samples, "loganalytics_events_stored_total"));
        Assert.Equal(36_003, Metric(samples, "loganalytics_events_consumed_total"));
        Assert.True(Metric(samples, "loganalytics_batch_commit_duration_seconds_count") >= 1);
        Assert.Equal(36_003, Metric(samples, "loganalytics_batch_size_messages_sum"));
        var newest = start.AddMilliseconds(11_999 * 20).ToUnixTimeMilliseconds() / 1000.0;
        Assert.Equal(newest, Metric(samples, "loganalytics_last_stored_event_timestamp_seconds"), 3);

        // Stage announcements: 401 without a key, clear 4xx for bad input (nothing produced), 202 stored exactly once.
        var stagePath = "/v1/experiments/broken-split/stage";
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(http, HttpMethod.Post, stagePath, """{"weight": 50}""")).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await Send(http, HttpMethod.Post, stagePath, """{"weight": 50}""", key: "not-the-key")).Status);
        foreach (var (body, status) in new[]
        {
            ("""{"weight": 150}""", HttpStatusCode.BadRequest),
            ("""{"weight": -5}""", HttpStatusCode.BadRequest),
            ("""{"weight": 50""", HttpStatusCode.BadRequest),
            ("""{"percent": 50}""", HttpStatusCode.BadRequest),
            ("{\"weight\": 50, \"pad\": \"" + new string('x', 70_000) + "\"}", HttpStatusCode.RequestEntityTooLarge),
        })
        {
            var answer = await Send(http, HttpMethod.Post, stagePath, body, ApiKey);
            Assert.Equal(status, answer.Status);
            Assert.Equal("broken-split", Prop(answer.Body, "experiment"));
        }
        Assert.Equal(HttpStatusCode.NotFound, (await Send(http, HttpMethod.Get, "/v1/nowhere")).Status);
        var accepted = await Send(http, HttpMethod.Post, stagePath, """{"weight": 50}""", ApiKey);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        Assert.Equal("stage", Prop(accepted.Body, "event", "kind"));
        Assert.Equal(topic, Prop(accepted.Body, "topic"));

        await Eventually.UntilAsync(() => DatabaseProbe.Count(db, "SELECT count(*) FROM stages WHERE experiment = 'broken-split' AND weight_percent = 50") == 1,
            TimeSpan.FromSeconds(30), () => "the stage event posted over HTTP is not stored");
        await Eventually.UntilAsync(() => Send(http, HttpMethod.Get, "/v1/experiments").GetAwaiter().GetResult().Body.Contains("\"experiment\":\"broken-split\",\"stage\":50", StringComparison.Ordinal),
            TimeSpan.FromSeconds(30), () => "the verdict does not use the stage posted over HTTP");
        Assert.Equal(2, DatabaseProbe.Count(db, "SELECT count(*) FROM stages WHERE experiment = 'broken-split'")); // the router's and ours, no rejected one
        Assert.Equal(0, DatabaseProbe.Count(db, "SELECT count(*) FROM quarantine"));
    }

    private static List<(string Line, string Name, double Value)> ParseMetrics(string text) =>
        text.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#'))
            .Select(l =>
            {
                var space = l.LastIndexOf(' ');
                var name = l[..space];
                var brace = name.IndexOf('{', StringComparison.Ordinal);
                return (l, brace < 0 ? name : name[..brace], double.Parse(l[(space + 1)..], System.Globalization.CultureInfo.InvariantCulture));
            }).ToList();

    private static double Metric(IReadOnlyList<(string Line, string Name, double Value)> samples, string name, params string[] labels) =>
        samples.Single(s => s.Name == name && labels.All(l => s.Line.Contains(l, StringComparison.Ordinal))).Value;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
