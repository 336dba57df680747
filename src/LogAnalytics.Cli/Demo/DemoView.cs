using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LogAnalytics.Cli.Demo;

/// <summary>What the demo shows at one moment: traffic and ingestion counters, and the KPIs stored so far.</summary>
internal sealed record DemoSnapshot(
    TimeSpan Elapsed, double Rate, long Produced, long Delivered, long Consumed, long Stored, long Quarantined, long Batches,
    IReadOnlyList<EndpointSummary> Endpoints, string? QueryError);

/// <summary>Renders a <see cref="DemoSnapshot"/> as a table (live view, final summary) or as plain lines (CI, logs).</summary>
internal static class DemoView
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IRenderable Table(DemoSnapshot s, string title)
    {
        var table = new Table()
            .Title(Markup.Escape(title))
            .Caption(Markup.Escape(CountersLine(s)))
            .AddColumn("endpoint")
            .AddColumn("variant")
            .AddColumn(new TableColumn("requests").RightAligned())
            .AddColumn(new TableColumn("share").RightAligned())
            .AddColumn(new TableColumn("errors").RightAligned())
            .AddColumn(new TableColumn("429").RightAligned())
            .AddColumn(new TableColumn("p50 ms").RightAligned())
            .AddColumn(new TableColumn("p95 ms").RightAligned())
            .AddColumn(new TableColumn("p99 ms").RightAligned());
        foreach (var e in s.Endpoints)
        {
            table.AddRow(
                Markup.Escape(e.Endpoint), Markup.Escape(e.Variant ?? "-"), N(e.Requests), Percent(e.TrafficShare),
                Percent(e.ErrorRate), Percent(e.RateLimitedRate), Ms(e.P50Ms), Ms(e.P95Ms), Ms(e.P99Ms));
        }
        if (s.Endpoints.Count == 0)
        {
            table.AddRow(s.QueryError is null ? "(no rows stored yet)" : Markup.Escape("(query failed: " + s.QueryError + ")"));
        }
        return table;
    }

    public static IEnumerable<string> PlainLines(DemoSnapshot s)
    {
        var at = string.Create(Invariant, $"[{s.Elapsed.TotalSeconds,4:F0}s]");
        yield return $"{at} {CountersLine(s)}";
        foreach (var e in s.Endpoints)
        {
            yield return string.Create(Invariant,
                $"{at}   {e.Endpoint,-12} {e.Variant ?? "-",-8} {N(e.Requests),9} req ({Percent(e.TrafficShare),6})  errors {Percent(e.ErrorRate),6}  429 {Percent(e.RateLimitedRate),6}  p50 {Ms(e.P50Ms),6} ms  p95 {Ms(e.P95Ms),6} ms  p99 {Ms(e.P99Ms),6} ms");
        }
        if (s.Endpoints.Count == 0)
        {
            yield return s.QueryError is null ? $"{at}   no rows stored yet" : $"{at}   query failed: {s.QueryError}";
        }
    }

    private static string CountersLine(DemoSnapshot s) => string.Create(Invariant,
        $"produced {N(s.Produced)} at {s.Rate:N0}/s, delivered {N(s.Delivered)}; worker consumed {N(s.Consumed)}, stored {N(s.Stored)}, quarantined {N(s.Quarantined)}, {N(s.Batches)} batches");

    private static string N(long value) => value.ToString("N0", Invariant);

    private static string Percent(double value) => value.ToString("0.00%", Invariant);

    private static string Ms(double? value) => value is { } v ? v.ToString("N0", Invariant) : "-";
}
