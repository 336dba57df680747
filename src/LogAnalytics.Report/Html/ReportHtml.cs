using System.Globalization;
using System.Net;
using System.Text;
using LogAnalytics.Report.Data;
using LogAnalytics.Report.Plots;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Report.Html;

/// <summary>The page: where the data came from, the range, and one section per experiment.</summary>
internal sealed record ReportPage(string Source, DateTimeOffset GeneratedAt, DateTimeOffset? From, DateTimeOffset To, IReadOnlyList<ExperimentSection> Experiments);

/// <summary>One experiment's verdict, data and figures.</summary>
internal sealed record ExperimentSection(Verdict Verdict, ExperimentReportData Data, double ValidationThreshold, Figure Timeline,
    IReadOnlyList<Figure> Latency, IReadOnlyList<Figure> Errors, IReadOnlyList<Figure> Cost, IReadOnlyList<Figure> Validation);

/// <summary>Writes the report as one self-contained HTML page: inline CSS, PNGs as data URIs, no script.</summary>
internal static class ReportHtml
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    private const string Css = """
        body { font-family: "DejaVu Sans", Verdana, sans-serif; margin: 24px auto; max-width: 960px; color: #222; }
        h1 { font-size: 24px; } h2 { font-size: 21px; border-top: 2px solid #ccc; padding-top: 12px; margin-top: 36px; }
        h3 { font-size: 17px; margin-top: 24px; }
        .decision { font-size: 20px; font-weight: bold; padding: 10px 14px; border-radius: 4px; }
        .decision-go { background: #e3f4e3; border-left: 6px solid #2ca02c; }
        .decision-no_go { background: #fbe4e4; border-left: 6px solid #d62728; }
        .decision-wait { background: #eeeeee; border-left: 6px solid #7f7f7f; }
        table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
        th, td { border: 1px solid #ccc; padding: 3px 7px; text-align: right; vertical-align: top; }
        th { background: #f3f3f3; } td.text, th.text { text-align: left; }
        .baseline { color: #1f77b4; font-weight: bold; } .canary { color: #ff7f0e; font-weight: bold; }
        .missing { background: #fff8e1; border: 1px dashed #c9a400; padding: 10px 14px; }
        .note { font-size: 13px; color: #555; } figure { margin: 12px 0; } img { max-width: 100%; height: auto; }
        .pass { color: #2ca02c; } .fail { color: #d62728; } .inconclusive { color: #7f7f7f; }
        """;

    public static string Page(ReportPage page)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.Append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        html.Append("<title>LogAnalytics rollout report</title>\n<link rel=\"icon\" href=\"data:,\">\n<style>\n").Append(Css).Append("</style>\n</head>\n<body>\n");
        html.Append("<h1>LogAnalytics rollout report</h1>\n");
        html.Append("<p class=\"note\">Source ").Append(E(page.Source)).Append("; events from ")
            .Append(page.From is { } f ? Time(f) : "the first").Append(" to ").Append(Time(page.To))
            .Append("; generated ").Append(Time(page.GeneratedAt)).Append(". Colors: <span class=\"baseline\">baseline</span>, <span class=\"canary\">canary</span> on every plot.</p>\n");
        if (page.Experiments.Count == 0)
        {
            html.Append("<p class=\"missing\">No experiment is configured or has events in this database: there is nothing to report yet.</p>\n");
        }
        else
        {
            html.Append("<ul>\n");
            foreach (var s in page.Experiments)
            {
                html.Append("<li><a href=\"#").Append(E(Anchor(s.Verdict.Experiment))).Append("\">").Append(E(s.Verdict.Experiment)).Append("</a>: ")
                    .Append(E(DecisionWord(s.Verdict.Decision))).Append("</li>\n");
            }
            html.Append("</ul>\n");
        }
        foreach (var s in page.Experiments)
        {
            Section(html, s);
        }
        html.Append("</body>\n</html>\n");
        return html.ToString();
    }

    private static void Section(StringBuilder html, ExperimentSection s)
    {
        var v = s.Verdict;
        html.Append("<section id=\"").Append(E(Anchor(v.Experiment))).Append("\">\n<h2>Experiment ").Append(E(v.Experiment)).Append("</h2>\n");
        html.Append("<p class=\"decision decision-").Append(E(v.Decision)).Append("\" data-decision=\"").Append(E(v.Decision)).Append("\">")
            .Append(E(DecisionSentence(v))).Append("</p>\n");
        html.Append("<p>Stage: canary at ").Append(Pct(v.CurrentStage)).Append(" of traffic");
        if (v.Stage is { } stage)
        {
            html.Append(", since ").Append(Time(stage.StartedAt)).Append(" (from ").Append(E(stage.Source)).Append("); dwell ")
                .Append(stage.DwellElapsedHours.ToString("0.#", Invariant)).Append(" h of ").Append(stage.DwellRequiredHours.ToString("0.#", Invariant)).Append(" h required");
        }
        html.Append(". Requests in the window: <span class=\"baseline\">baseline ").Append(N(v.Samples.Baseline)).Append("</span>, <span class=\"canary\">canary ")
            .Append(N(v.Samples.Canary)).Append("</span>");
        if (v.Srm.ObservedShare is { } observed)
        {
            html.Append("; canary share ").Append(Pct(observed * 100)).Append(" observed, ").Append(Pct(v.Srm.ExpectedShare * 100)).Append(" expected")
                .Append(v.Srm.Ok ? "" : " (sample ratio mismatch: the split is broken)");
        }
        html.Append(".</p>\n<p>Why:</p>\n<ul class=\"reasons\">\n");
        foreach (var reason in v.Reasons)
        {
            html.Append("<li>").Append(E(reason)).Append("</li>\n");
        }
        html.Append("</ul>\n");
        Guardrails(html, v);

        html.Append("<h3>Verdict timeline</h3>\n");
        Figure(html, s.Timeline);
        if (ReportPlots.NoRequests(s.Data) is { } none)
        {
            // One sentence instead of the same one under every latency, error, cost and per-model heading.
            html.Append("<h3>Latency, errors, cost, per model</h3>\n<p class=\"missing\">").Append(E(none)).Append("</p>\n");
        }
        else
        {
            html.Append("<h3>Latency</h3>\n");
            foreach (var f in s.Latency)
            {
                Figure(html, f);
            }
            html.Append("<h3>Errors</h3>\n");
            foreach (var f in s.Errors)
            {
                Figure(html, f);
            }
            html.Append("<h3>Cost</h3>\n");
            foreach (var f in s.Cost)
            {
                Figure(html, f);
            }
            CostTable(html, s);
        }
        html.Append("<h3>Shadow validation</h3>\n");
        foreach (var f in s.Validation)
        {
            Figure(html, f);
        }
        if (ReportPlots.NoRequests(s.Data) is null)
        {
            html.Append("<h3>Per model</h3>\n");
            ModelTable(html, s.Data);
        }
        html.Append("</section>\n");
    }

    internal static string DecisionWord(string decision) => decision switch
    {
        Decisions.Go => "GO",
        Decisions.NoGo => "NO GO",
        _ => "WAIT",
    };

    /// <summary>The decision in words: what to do with the canary.</summary>
    internal static string DecisionSentence(Verdict v) => v.Decision switch
    {
        Decisions.Go when v.NextStage is { } next => $"GO: move the canary from {Pct(v.CurrentStage)} to {Pct(next)} of traffic.",
        Decisions.Go => $"GO: the canary passed its last stage ({Pct(v.CurrentStage)}); the rollout is complete.",
        Decisions.NoGo => $"NO GO: roll the canary back (it is at {Pct(v.CurrentStage)} of traffic).",
        _ => $"WAIT: keep the canary at {Pct(v.CurrentStage)} of traffic; there is no decision yet.",
    };

    private static void Guardrails(StringBuilder html, Verdict v)
    {
        if (v.Checks.Count == 0)
        {
            html.Append("<p class=\"missing\">No guardrail was checked: ").Append(E(v.Reasons.FirstOrDefault() ?? "there is no data yet.")).Append("</p>\n");
            return;
        }
        html.Append("<table class=\"guardrails\">\n<tr><th class=\"text\">guardrail</th><th>outcome</th><th>baseline</th><th>canary</th><th>change</th><th>interval of the difference</th><th>margin</th><th class=\"text\">reason</th></tr>\n");
        foreach (var c in v.Checks)
        {
            var relative = c.Scale == "relative";
            string Diff(double? x) => x is { } d ? (relative ? Pct(d * 100, signed: true) : Value(c.Metric, d, signed: true)) : "-";
            html.Append("<tr><td class=\"text\">").Append(E(c.Metric)).Append("</td><td class=\"").Append(E(c.Outcome)).Append("\">").Append(E(c.Outcome))
                .Append("</td><td>").Append(Value(c.Metric, c.Baseline)).Append("</td><td>").Append(Value(c.Metric, c.Canary))
                .Append("</td><td>").Append(c.RelativeChange is { } rc ? Pct(rc * 100, signed: true) : "-")
                .Append("</td><td>").Append(c.CiLow is null && c.CiHigh is null ? "-" : $"{Diff(c.CiLow)} .. {Diff(c.CiHigh)}")
                .Append("</td><td>").Append(c.Threshold is { } t ? $"rate &gt; {Pct(t * 100)}" : Diff(c.Margin))
                .Append("</td><td class=\"text\">").Append(E(c.Reason)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
    }

    private static void CostTable(StringBuilder html, ExperimentSection s)
    {
        if (ReportPlots.NoCost(s.Data) is not null)
        {
            return;
        }
        html.Append("<table class=\"cost\">\n<tr><th class=\"text\">side</th><th class=\"text\">model</th><th>requests</th><th>priced</th><th>unpriced</th><th>USD per request</th><th>USD per 1,000 requests</th><th>tokens per request</th><th>USD in range</th><th>USD per month at this volume</th></tr>\n");
        foreach (var c in s.Data.Costs)
        {
            html.Append("<tr><td class=\"text ").Append(E(c.Side)).Append("\">").Append(E(c.Side)).Append("</td><td class=\"text\">").Append(E(c.Model ?? "all models"))
                .Append("</td><td>").Append(N(c.Requests)).Append("</td><td>").Append(N(c.Priced)).Append("</td><td>").Append(N(c.Unpriced))
                .Append("</td><td>").Append(Usd(c.CostPerRequestUsd, 6)).Append("</td><td>").Append(Usd(c.CostPer1kRequestsUsd, 3))
                .Append("</td><td>").Append(c.TokensPerRequest is { } t ? t.ToString("N0", Invariant) : "-")
                .Append("</td><td>").Append(Usd(c.CostUsd, 2)).Append("</td><td>").Append(Usd(c.MonthlyUsdAtThisVolume, 2)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        if (s.Verdict.Cost?.ProjectedMonthlyUsd is { } m)
        {
            html.Append("<p class=\"projection\">Projected monthly cost at the window's volume (").Append(m.Requests.ToString("N0", Invariant))
                .Append(" requests a month): all on the baseline ").Append(Usd(m.AllOnBaseline, 2)).Append(", all on the canary ").Append(Usd(m.AllOnCanary, 2))
                .Append(", at the current split ").Append(Usd(m.CurrentSplit, 2)).Append(".</p>\n");
        }
        else
        {
            html.Append("<p class=\"note\">No monthly projection: it needs priced requests on both sides in the verdict's window.</p>\n");
        }
    }

    private static void ModelTable(StringBuilder html, ExperimentReportData data)
    {
        if (data.Models.Count == 0)
        {
            html.Append("<p class=\"missing\">").Append(E(ReportPlots.NoRequests(data) ?? "No request has a side in this time range.")).Append("</p>\n");
            return;
        }
        html.Append("<table class=\"models\">\n<tr><th class=\"text\">side</th><th class=\"text\">model</th><th>requests</th><th>p50 ms</th><th>p99 ms</th><th>error rate</th><th>USD per request</th></tr>\n");
        foreach (var m in data.Models)
        {
            html.Append("<tr><td class=\"text ").Append(E(m.Side)).Append("\">").Append(E(m.Side)).Append("</td><td class=\"text\">").Append(E(m.Model))
                .Append("</td><td>").Append(N(m.Requests)).Append("</td><td>").Append(m.P50Ms.ToString("N1", Invariant)).Append("</td><td>").Append(m.P99Ms.ToString("N1", Invariant))
                .Append("</td><td>").Append(Pct(m.ErrorRate * 100)).Append("</td><td>").Append(Usd(m.CostPerRequestUsd, 6)).Append("</td></tr>\n");
        }
        html.Append("</table>\n");
        if (data.Requests(Sides.Canary) == 0)
        {
            html.Append("<p class=\"note\">").Append(E(ReportPlots.NoCanaryNote(data) ?? "")).Append("</p>\n");
        }
    }

    private static void Figure(StringBuilder html, Figure f)
    {
        if (f.Png is null)
        {
            html.Append("<div class=\"plot\"><p><b>").Append(E(f.Title)).Append("</b></p><p class=\"missing\">").Append(E(f.Missing ?? "")).Append("</p></div>\n");
            return;
        }
        html.Append("<figure class=\"plot\"><img alt=\"").Append(E(f.Title)).Append("\" width=\"").Append(f.Width).Append("\" height=\"").Append(f.Height)
            .Append("\" src=\"data:image/png;base64,").Append(Convert.ToBase64String(f.Png)).Append("\">");
        if (f.Note is not null)
        {
            html.Append("<figcaption class=\"note\">").Append(E(f.Note)).Append("</figcaption>");
        }
        html.Append("</figure>\n");
    }

    private static string Value(string metric, double? value, bool signed = false)
    {
        if (value is not { } v)
        {
            return "-";
        }
        var sign = signed && v > 0 ? "+" : "";
        return metric switch
        {
            _ when metric.StartsWith("latency", StringComparison.Ordinal) => sign + v.ToString("N1", Invariant) + " ms",
            "cost_per_request" => sign + "$" + v.ToString("0.######", Invariant),
            _ => sign + (v * 100).ToString("0.###", Invariant) + " %",
        };
    }

    private static string Anchor(string experiment) => "experiment-" + experiment;

    private static string E(string text) => WebUtility.HtmlEncode(text);

    private static string N(long value) => value.ToString("N0", Invariant);

    private static string Pct(double percent, bool signed = false) => (signed && percent > 0 ? "+" : "") + percent.ToString("0.##", Invariant) + " %";

    private static string Usd(double? value, int decimals) => value is { } v ? "$" + v.ToString("N" + decimals.ToString(Invariant), Invariant) : "-";

    private static string Time(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", Invariant);
}
