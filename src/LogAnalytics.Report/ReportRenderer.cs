using System.Text;
using DuckDB.NET.Data;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Report.Data;
using LogAnalytics.Report.Html;
using LogAnalytics.Report.Plots;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Report;

/// <summary>Renders the rollout report: one self-contained HTML page (PNG plots embedded as data URIs, no script, no
/// network) with, per experiment, the verdict in words, its timeline, latency, errors, cost, shadow validation and a
/// per-model table. Used by <c>loganalytics report</c> and by the worker's HTTP surface.</summary>
public static class ReportRenderer
{
    /// <summary>Renders the report of <paramref name="options"/>' experiments from a DuckDB file or a Parquet lake
    /// directory, writes it (UTF-8) to <paramref name="output"/> and returns it.</summary>
    /// <exception cref="FileNotFoundException"><paramref name="dbPathOrLake"/> is neither a file nor a directory.</exception>
    /// <exception cref="DuckDB.NET.Data.DuckDBException">The file is not a LogAnalytics database of a current schema, or
    /// a worker holds its lock (read its analyst snapshot instead).</exception>
    public static async Task<string> RenderAsync(string dbPathOrLake, ReportOptions options, Stream output, CancellationToken cancellationToken = default)
    {
        string html;
        using (var store = ReportSource.Open(dbPathOrLake))
        {
            html = Render(store.Connection, options, Path.GetFileName(Path.TrimEndingDirectorySeparator(dbPathOrLake)));
        }
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(html);
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return html;
    }

    /// <summary>The report of one experiment (what <c>GET /v1/experiments/{id}/report</c> serves).</summary>
    public static Task<string> RenderAsync(string dbPathOrLake, string experimentId, ReportOptions options, Stream output, CancellationToken cancellationToken = default) =>
        RenderAsync(dbPathOrLake, new ReportOptions
        {
            Experiments = [experimentId], From = options.From, To = options.To, Settings = options.Settings, Prices = options.Prices, Clock = options.Clock,
        }, output, cancellationToken);

    /// <summary>Renders the report from an open DuckDB connection (for a process that already has the database open, such
    /// as the worker's HTTP surface: pass a connection of its own, e.g. <c>connection.Duplicate()</c>, since a DuckDB
    /// connection serves one caller at a time), writes it (UTF-8) to <paramref name="output"/> and returns it.</summary>
    public static async Task<string> RenderAsync(DuckDBConnection connection, ReportOptions options, Stream output, CancellationToken cancellationToken = default)
    {
        var html = Render(connection, options, connection.DataSource);
        var bytes = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false).GetBytes(html);
        await output.WriteAsync(bytes, cancellationToken).ConfigureAwait(false);
        await output.FlushAsync(cancellationToken).ConfigureAwait(false);
        return html;
    }

    /// <summary>The report as HTML, from an open connection (the worker's own, or a test's).</summary>
    internal static string Render(DuckDBConnection connection, ReportOptions options, string sourceName)
    {
        var now = options.Clock.GetUtcNow();
        var to = options.To ?? now;
        var from = options.From ?? DateTimeOffset.UnixEpoch;
        var service = new VerdictService(connection, options.Settings, ExperimentEvaluator.CreateDefault(), () => options.Prices);
        var ids = options.Experiments.Count > 0 ? options.Experiments.Distinct(StringComparer.Ordinal).ToList() : service.Experiments(to);
        var queries = new ReportQueries(connection);
        var sections = new List<ExperimentSection>();
        foreach (var id in ids)
        {
            var definition = ExperimentCatalog.Resolve(options.Settings, id);
            var verdict = service.Evaluate(id, to);
            var data = queries.Read(definition, from, to);
            sections.Add(Build(definition, verdict, data));
        }
        return ReportHtml.Page(new ReportPage(sourceName, now, options.From, to, sections));
    }

    internal static ExperimentSection Build(ExperimentDefinition definition, Verdict verdict, ExperimentReportData data)
    {
        var threshold = verdict.Checks.FirstOrDefault(c => c.Metric == MetricNames.ValidationMatchRate)?.Threshold
            ?? definition.Guardrails.FirstOrDefault(g => g.Metric == MetricNames.ValidationMatchRate)?.Threshold
            ?? ExperimentDefaults.Metrics[MetricNames.ValidationMatchRate].Threshold
            ?? 0.98;
        return new ExperimentSection(
            verdict, data, threshold,
            ReportPlots.VerdictTimeline(data),
            [ReportPlots.LatencyCdf(data), .. ReportPlots.LatencyOverTime(data)],
            ReportPlots.ErrorsOverTime(data),
            ReportPlots.Cost(data),
            [ReportPlots.ValidationOverTime(data, threshold), ReportPlots.SimilarityHistogram(data)]);
    }
}
