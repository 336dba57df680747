using System.Text.RegularExpressions;
using LogAnalytics.Report;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Report;

/// <summary>The report's page on a database with four experiments: the verdict in words, one section per experiment,
/// every plot an embedded PNG or a sentence that says why there is none.</summary>
public sealed partial class ReportRendererTests(ReportDatabase db) : IClassFixture<ReportDatabase>
{
    private ReportOptions Options(params string[] experiments) => new()
    {
        Experiments = experiments, Settings = db.Settings, To = ReportDatabase.End,
    };

    private async Task<string> Render(params string[] experiments)
    {
        using var output = new MemoryStream();
        var html = await ReportRenderer.RenderAsync(db.Path, Options(experiments), output);
        Assert.Equal(html, System.Text.Encoding.UTF8.GetString(output.ToArray()));
        return html;
    }

    private static string Section(string html, string experiment)
    {
        var start = html.IndexOf($"<section id=\"experiment-{experiment}\">", StringComparison.Ordinal);
        Assert.True(start >= 0, $"no section for {experiment}");
        var end = html.IndexOf("</section>", start, StringComparison.Ordinal);
        return html[start..end];
    }

    [Fact]
    public async Task The_decision_and_every_guardrails_reason_are_written_in_words_at_the_top_of_the_section()
    {
        var html = await Render("checkout");
        var verdict = VerdictContract.AssertValid(new VerdictService(OpenReadOnly(), db.Settings, LogAnalytics.Evaluation.ExperimentEvaluator.CreateDefault()).Evaluate("checkout", ReportDatabase.End));
        var section = Section(html, "checkout");
        Assert.Contains($"data-decision=\"{verdict.Decision}\"", section);
        Assert.Contains(System.Net.WebUtility.HtmlEncode(LogAnalytics.Report.Html.ReportHtml.DecisionSentence(verdict)), section);
        Assert.True(section.IndexOf("data-decision", StringComparison.Ordinal) < section.IndexOf("<img", StringComparison.Ordinal), "the decision comes before the plots");
        Assert.NotEmpty(verdict.Checks);
        foreach (var check in verdict.Checks)
        {
            Assert.Contains(System.Net.WebUtility.HtmlEncode(check.Reason), section);
        }
        foreach (var reason in verdict.Reasons)
        {
            Assert.Contains(System.Net.WebUtility.HtmlEncode(reason), section);
        }
        Assert.Contains("canary at 25 % of traffic", section);
    }

    [Fact]
    public async Task A_full_experiment_has_every_plot_as_an_embedded_png_and_no_external_reference()
    {
        var html = await Render("checkout");
        var section = Section(html, "checkout");
        // timeline, CDF, p50/p95/p99, two error plots, cost per 1k and tokens, validation and similarity
        var images = ImageSource().Matches(section).Select(m => Convert.FromBase64String(m.Groups[1].Value)).ToList();
        Assert.Equal(11, images.Count);
        Assert.All(images, png => Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, png[..4]));
        Assert.DoesNotContain("class=\"missing\"", section);
        Assert.DoesNotMatch(ExternalReference(), html);
        Assert.DoesNotContain("<script", html, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("gpt-4.1-mini", section); // the per-model table
        Assert.Contains("Projected monthly cost", section);
    }

    [Fact]
    public async Task An_empty_experiment_says_so_instead_of_drawing_empty_axes()
    {
        var section = Section(await Render("empty"), "empty");
        Assert.DoesNotContain("<img", section);
        Assert.Contains("No request of this experiment is stored in this time range (empty experiment)", section);
        Assert.Contains("No verdict is stored for this experiment", section);
        Assert.Contains("No shadow-validation event", section);
        Assert.Contains("data-decision=\"wait\"", section);
    }

    [Fact]
    public async Task An_experiment_without_canary_traffic_says_no_canary_yet()
    {
        var section = Section(await Render("baseline-only"), "baseline-only");
        Assert.Contains("No canary request yet: only the baseline is drawn.", section);
        Assert.Contains("No canary request yet: there is no canary error rate to show.", section);
        // The baseline's own plots are drawn: the CDF, the three percentiles and its error rate.
        Assert.Equal(5, ImageSource().Matches(section).Count);
    }

    [Fact]
    public async Task An_experiment_without_cost_data_says_so_instead_of_a_cost_plot()
    {
        var section = Section(await Render("no-cost"), "no-cost");
        Assert.Contains("No cost data: no request of this experiment reports cost_usd or token counts", section);
        var cost = section.Split("<h3>Cost</h3>")[1].Split("<h3>")[0];
        Assert.DoesNotContain("<img", cost);
        Assert.DoesNotContain("class=\"cost\"", section);
    }

    [Fact]
    public async Task Without_experiment_ids_every_configured_and_seen_experiment_gets_a_section()
    {
        var html = await Render();
        foreach (var id in new[] { "checkout", "empty", "baseline-only", "no-cost" })
        {
            Section(html, id);
        }
    }

    [Fact]
    public async Task A_path_that_is_neither_file_nor_directory_is_a_clear_error()
    {
        var missing = Path.Combine(db.Directory, "nope.duckdb");
        var ex = await Assert.ThrowsAsync<FileNotFoundException>(() => ReportRenderer.RenderAsync(missing, Options(), Stream.Null));
        Assert.Contains("no such DuckDB file or Parquet lake directory", ex.Message);
    }

    private DuckDB.NET.Data.DuckDBConnection OpenReadOnly()
    {
        var connection = new DuckDB.NET.Data.DuckDBConnection($"Data Source={db.Path};ACCESS_MODE=READ_ONLY");
        connection.Open();
        return connection;
    }

    [GeneratedRegex("src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"")]
    private static partial Regex ImageSource();

    [GeneratedRegex("(src|href)=\"(https?:|//)", RegexOptions.IgnoreCase)]
    private static partial Regex ExternalReference();
}
