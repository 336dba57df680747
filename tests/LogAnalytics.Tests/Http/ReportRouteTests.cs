using System.Net;
using System.Text.Json;
using LogAnalytics.Tests.Report;

namespace LogAnalytics.Tests.Http;

/// <summary><c>GET /v1/experiments/{id}/report</c> in-process: the same HTML page as <c>loganalytics report</c>, from
/// the worker's own database; unknown experiments and a worker holding part of the traffic answer JSON.</summary>
public sealed class ReportRouteTests
{
    [Fact]
    public async Task The_report_route_serves_the_html_page_and_answers_json_for_unknown_or_partial()
    {
        using var db = new ReportDatabase();
        await using var api = await ApiServer.StartAsync(new Dictionary<string, string?> { ["Storage:DatabasePath"] = db.Path });
        api.OpenDatabase();

        var page = await api.Client.GetAsync("/v1/experiments/checkout/report");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        var html = await page.Content.ReadAsStringAsync();
        Assert.Contains("<section id=\"experiment-checkout\">", html);
        Assert.Contains("data-decision=\"", html);
        Assert.Contains("<img", html);
        Assert.DoesNotContain("experiment-no-cost", html); // only the experiment asked for

        var unknown = await api.Client.GetAsync("/v1/experiments/nope/report");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("application/json", unknown.Content.Headers.ContentType?.MediaType);
        using (var body = JsonDocument.Parse(await unknown.Content.ReadAsStringAsync()))
        {
            Assert.Equal("nope", body.RootElement.GetProperty("experiment").GetString());
        }

        api.Statistics.RecordOwnership(LogAnalytics.Ingestion.PartitionOwnership.Partial, 1, 3);
        var partial = await api.Client.GetAsync("/v1/experiments/checkout/report");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, partial.StatusCode);
        using (var body = JsonDocument.Parse(await partial.Content.ReadAsStringAsync()))
        {
            Assert.StartsWith("report withheld: this worker owns 1 of the 3 partitions", body.RootElement.GetProperty("error").GetString());
        }
        var verdict = await api.Client.GetAsync("/v1/experiments/checkout/verdict");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, verdict.StatusCode);
        using (var body = JsonDocument.Parse(await (await api.Client.GetAsync("/v1/experiments")).Content.ReadAsStringAsync()))
        {
            Assert.True(body.RootElement.GetProperty("verdicts_withheld").GetBoolean());
            Assert.Equal("partial", body.RootElement.GetProperty("partitions").GetProperty("ownership").GetString());
        }
    }
}
