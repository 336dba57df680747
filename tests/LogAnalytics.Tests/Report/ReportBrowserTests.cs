using System.Text.Json.Nodes;
using LogAnalytics.Report;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Report;

/// <summary>The report opened in a real headless Chromium: it loads with no console error, every image decodes to a
/// non-zero size, and the decision shown is the verdict's. The screenshot goes to TestResults/report/ for people.</summary>
public sealed class ReportBrowserTests(ReportDatabase db) : IClassFixture<ReportDatabase>
{
    [Fact]
    public async Task The_report_loads_in_chromium_without_errors_with_every_image_decoded_and_the_verdicts_decision()
    {
        var settings = new ReportOptions { Settings = db.Settings, To = ReportDatabase.End };
        var page = Path.Combine(db.Directory, "report.html");
        await using (var file = File.Create(page))
        {
            await ReportRenderer.RenderAsync(db.Path, settings, file);
        }
        var expected = new Dictionary<string, string>();
        using (var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={db.Path};ACCESS_MODE=READ_ONLY"))
        {
            connection.Open();
            var service = new VerdictService(connection, db.Settings, LogAnalytics.Evaluation.ExperimentEvaluator.CreateDefault());
            foreach (var id in new[] { "checkout", "empty", "baseline-only", "no-cost" })
            {
                expected[id] = LogAnalytics.Report.Html.ReportHtml.DecisionSentence(VerdictContract.AssertValid(service.Evaluate(id, ReportDatabase.End)));
            }
        }

        await using var browser = await HeadlessChromium.StartAsync();
        await browser.OpenAsync(new Uri(page));
        var images = (await browser.EvaluateAsync(
            "[...document.images].map(i => ({ complete: i.complete, width: i.naturalWidth, height: i.naturalHeight, alt: i.alt }))"))!.AsArray();
        var decisions = (await browser.EvaluateAsync(
            "[...document.querySelectorAll('section')].map(s => ({ id: s.id, decision: s.querySelector('[data-decision]').dataset.decision, text: s.querySelector('[data-decision]').innerText }))"))!.AsArray();
        var screenshot = await browser.ScreenshotAsync(1000);
        var output = Path.Combine(TestResults.Directory("report"), "report.png");
        await File.WriteAllBytesAsync(output, screenshot);
        File.Copy(page, Path.Combine(TestResults.Directory("report"), "report.html"), overwrite: true);

        Assert.Empty(browser.Errors);
        Assert.Equal(11 + 5 + 6, images.Count); // checkout: all 11 plots; baseline-only: 5 (no canary); no-cost: 6 (no cost plots); empty: none
        Assert.All(images, i =>
        {
            Assert.True((bool)i!["complete"]!, $"image not loaded: {i["alt"]}");
            Assert.True((int)i["width"]! > 0 && (int)i["height"]! > 0, $"image of zero size: {i["alt"]}");
        });
        Assert.Equal(expected.Count, decisions.Count);
        foreach (var d in decisions.Select(d => d!.AsObject()))
        {
            var id = ((string)d["id"]!)["experiment-".Length..];
            Assert.Equal(expected[id], ((string)d["text"]!).Trim());
        }
        Assert.True(screenshot.Length > 10_000, "the screenshot is an image of the page");
    }
}

/// <summary>Where tests write files for people to look at: &lt;test project&gt;/TestResults/&lt;name&gt;.</summary>
internal static class TestResults
{
    public static string Directory(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && dir.GetFiles("*.csproj").Length == 0)
        {
            dir = dir.Parent;
        }
        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "TestResults", name);
        System.IO.Directory.CreateDirectory(path);
        return path;
    }
}
