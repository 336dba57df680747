using System.Globalization;
using LogAnalytics.Report.Data;
using LogAnalytics.Verdicts;
using ScottPlot;

namespace LogAnalytics.Report.Plots;

/// <summary>Draws the report's plots from <see cref="ExperimentReportData"/>: the same color per side everywhere, legends
/// naming the endpoints, axis labels with units, log axes for latency, and a sentence instead of empty axes.</summary>
internal static class ReportPlots
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>"baseline: legacy" - the side and its endpoints, for legends.</summary>
    public static string SideLabel(ExperimentReportData data, string side)
    {
        var names = data.EndpointNames(side);
        return names.Count == 0 ? side : $"{side}: {string.Join(", ", names)}";
    }

    /// <summary>Why a side-by-side plot cannot be drawn, or null when both sides have requests.</summary>
    public static string? NoRequests(ExperimentReportData data) => data.Requests(Sides.Baseline) + data.Requests(Sides.Canary) == 0
        ? "No request of this experiment is stored in this time range (empty experiment): nothing to plot yet."
        : null;

    /// <summary>The note under a plot that shows only the baseline.</summary>
    public static string? NoCanaryNote(ExperimentReportData data) => data.Requests(Sides.Canary) == 0
        ? "No canary request yet: only the baseline is drawn. The canary appears once the router sends it traffic."
        : data.Requests(Sides.Baseline) == 0 ? "No baseline request: only the canary is drawn." : null;

    public static Figure VerdictTimeline(ExperimentReportData data)
    {
        const string title = "Decision at each evaluation (dashed lines: stage changes)";
        if (data.Timeline.Count == 0)
        {
            return Figure.NotDrawn(title, "No verdict is stored for this experiment in this time range: the verdicts table fills while a worker runs (loganalytics run). The verdict above is computed from the stored events.");
        }
        var plot = ReportStyle.NewPlot(title, "evaluated at (UTC)", "canary stage (% of traffic)");
        plot.Axes.DateTimeTicksBottom();
        foreach (var decision in new[] { Decisions.Go, Decisions.Wait, Decisions.NoGo })
        {
            var points = data.Timeline.Where(t => t.Decision == decision).ToList();
            if (points.Count == 0)
            {
                continue;
            }
            var s = plot.Add.Scatter(points.Select(t => t.EvaluatedAt.UtcDateTime.ToOADate()).ToArray(), points.Select(t => t.Stage ?? 0).ToArray());
            s.LineWidth = 0;
            s.MarkerSize = 9;
            s.Color = ReportStyle.Decision[decision];
            s.LegendText = decision;
        }
        double? previous = null;
        foreach (var t in data.Timeline)
        {
            if (previous is { } p && t.Stage is { } stage && stage != p)
            {
                var line = plot.Add.VerticalLine(t.EvaluatedAt.UtcDateTime.ToOADate());
                line.LinePattern = LinePattern.Dashed;
                line.Color = Colors.Black.WithAlpha(0.6);
                line.LineWidth = 1.5f;
            }
            previous = t.Stage ?? previous;
        }
        if (data.Timeline.Select(t => t.Stage).Distinct().Count() > 1)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = "stage change", LineColor = Colors.Black.WithAlpha(0.6), LinePattern = LinePattern.Dashed, LineWidth = 1.5f });
        }
        var stages = data.Timeline.Select(t => t.Stage ?? 0).ToList();
        plot.Axes.SetLimitsY(Math.Min(0, stages.Min()) - 5, Math.Max(100, stages.Max()) + 5);
        plot.ShowLegend(Alignment.UpperLeft);
        return ReportStyle.Save(plot, title, height: 300);
    }

    public static Figure LatencyCdf(ExperimentReportData data)
    {
        const string title = "Latency CDF per side (every request): a curve further right is slower";
        if (NoRequests(data) is { } why)
        {
            return Figure.NotDrawn(title, why);
        }
        var plot = ReportStyle.NewPlot(title, "latency (ms, log scale)", "requests at or below (%)");
        foreach (var side in Sides.Both)
        {
            var points = data.LatencyCdf.Where(c => c.Side == side).ToList();
            if (points.Count == 0)
            {
                continue;
            }
            var s = plot.Add.Scatter(points.Select(c => Math.Log10(Math.Max(c.LatencyMs, 1e-3))).ToArray(), points.Select(c => c.CumulativeShare * 100).ToArray());
            s.Color = ReportStyle.Side(side);
            s.LineWidth = 2;
            s.MarkerSize = 0;
            s.LegendText = SideLabel(data, side);
        }
        var all = data.LatencyCdf.Select(c => c.LatencyMs).ToList();
        plot.Axes.Bottom.TickGenerator = ReportStyle.LogTicks(all.Min(), all.Max(), ReportStyle.Ms);
        plot.Axes.SetLimitsY(0, 102);
        plot.Axes.SetLimitsX(Math.Log10(Math.Max(all.Min(), 1e-3)) - 0.05, Math.Log10(Math.Max(all.Max(), 1e-3)) + 0.05);
        plot.ShowLegend(Alignment.LowerRight);
        return ReportStyle.Save(plot, title, NoCanaryNote(data));
    }

    public static IReadOnlyList<Figure> LatencyOverTime(ExperimentReportData data)
    {
        var bucket = ReportStyle.Bucket(data.BucketSeconds);
        var figures = new List<Figure>();
        foreach (var (name, pick) in new (string, Func<LatencyBucket, Percentile>)[] { ("p50", b => b.P50), ("p95", b => b.P95), ("p99", b => b.P99) })
        {
            var title = $"{name} latency per {bucket} with its 95 % interval (shaded): look for the canary above the baseline";
            if (NoRequests(data) is { } why)
            {
                figures.Add(Figure.NotDrawn(title, why));
                continue;
            }
            var plot = ReportStyle.NewPlot(title, "time (UTC)", $"{name} latency (ms, log scale)");
            plot.Axes.DateTimeTicksBottom();
            var values = new List<double>();
            foreach (var side in Sides.Both)
            {
                var rows = data.LatencyOverTime.Where(b => b.Side == side).ToList();
                if (rows.Count == 0)
                {
                    continue;
                }
                var xs = rows.Select(b => ReportStyle.Time(b.BucketStart + data.BucketSeconds / 2)).ToArray();
                var low = rows.Select(b => Math.Log10(Math.Max(pick(b).Low, 1e-3))).ToArray();
                var high = rows.Select(b => Math.Log10(Math.Max(pick(b).High, 1e-3))).ToArray();
                var fill = plot.Add.FillY(xs, low, high);
                fill.FillColor = ReportStyle.Side(side).WithAlpha(0.2);
                fill.LineWidth = 0;
                if (rows.Count == 1)
                {
                    // A band of one point has no width: draw the interval as a bar instead.
                    var bar = plot.Add.Line(xs[0], low[0], xs[0], high[0]);
                    bar.Color = ReportStyle.Side(side).WithAlpha(0.35);
                    bar.LineWidth = 8;
                }
                var s = plot.Add.Scatter(xs, rows.Select(b => Math.Log10(Math.Max(pick(b).Value, 1e-3))).ToArray());
                s.Color = ReportStyle.Side(side);
                s.LineWidth = 2;
                s.MarkerSize = rows.Count == 1 ? 8 : 4;
                s.LegendText = SideLabel(data, side);
                values.AddRange(rows.SelectMany(b => new[] { pick(b).Low, pick(b).High, pick(b).Value }));
            }
            plot.Axes.Left.TickGenerator = ReportStyle.LogTicks(values.Min(), values.Max(), ReportStyle.Ms);
            plot.Axes.SetLimitsY(Math.Log10(Math.Max(values.Min(), 1e-3)) - 0.1, Math.Log10(Math.Max(values.Max(), 1e-3)) + 0.1);
            ReportStyle.TimeLimits(plot, data.LatencyOverTime.Select(b => b.BucketStart), data.BucketSeconds);
            plot.ShowLegend(Alignment.UpperLeft);
            figures.Add(ReportStyle.Save(plot, title, NoCanaryNote(data), height: 320));
        }
        return figures;
    }

    public static IReadOnlyList<Figure> ErrorsOverTime(ExperimentReportData data)
    {
        var bucket = ReportStyle.Bucket(data.BucketSeconds);
        var top = data.ErrorsOverTime.Select(b => b.ErrorRate * 100).DefaultIfEmpty(0).Max();
        var figures = new List<Figure>();
        foreach (var side in Sides.Both)
        {
            var title = $"{SideLabel(data, side)}: error rate per {bucket}, stacked by class (same scale on both sides)";
            var rows = data.ErrorsOverTime.Where(b => b.Side == side).ToList();
            if (rows.Count == 0)
            {
                figures.Add(Figure.NotDrawn(title, side == Sides.Canary && data.Requests(Sides.Baseline) > 0
                    ? "No canary request yet: there is no canary error rate to show."
                    : NoRequests(data) ?? $"No {side} request in this time range."));
                continue;
            }
            var plot = ReportStyle.NewPlot(title, "time (UTC)", "failed requests (% of the side's requests)");
            plot.Axes.DateTimeTicksBottom();
            var width = DateTime.UnixEpoch.AddSeconds(data.BucketSeconds * 0.8).ToOADate() - DateTime.UnixEpoch.ToOADate();
            var bars = new List<Bar>();
            foreach (var b in rows)
            {
                var baseValue = 0.0;
                foreach (var (cls, _) in ReportQueries.ErrorClasses)
                {
                    var value = b.ByClass[cls] * 100;
                    if (value <= 0)
                    {
                        continue;
                    }
                    bars.Add(new Bar
                    {
                        Position = ReportStyle.Time(b.BucketStart + data.BucketSeconds / 2), ValueBase = baseValue, Value = baseValue + value,
                        FillColor = ReportStyle.ErrorClass[cls], Size = width, LineWidth = 0,
                    });
                    baseValue += value;
                }
            }
            if (bars.Count > 0)
            {
                plot.Add.Bars(bars);
            }
            var total = plot.Add.Scatter(rows.Select(b => ReportStyle.Time(b.BucketStart + data.BucketSeconds / 2)).ToArray(), rows.Select(b => b.ErrorRate * 100).ToArray());
            total.Color = ReportStyle.Side(side);
            total.LineWidth = 2;
            total.MarkerSize = 5;
            foreach (var (cls, _) in ReportQueries.ErrorClasses)
            {
                plot.Legend.ManualItems.Add(new LegendItem { LabelText = cls, FillColor = ReportStyle.ErrorClass[cls] });
            }
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = $"{side}: all errors", LineColor = ReportStyle.Side(side), LineWidth = 2 });
            plot.Axes.SetLimitsY(0, Math.Max(1, top * 1.15));
            ReportStyle.TimeLimits(plot, data.ErrorsOverTime.Select(b => b.BucketStart), data.BucketSeconds);
            plot.ShowLegend(Edge.Right);
            figures.Add(ReportStyle.Save(plot, title, height: 300));
        }
        return figures;
    }

    /// <summary>Why there is no cost plot: no request, or no request with a cost or token counts.</summary>
    public static string? NoCost(ExperimentReportData data) => NoRequests(data)
        ?? (data.Costs.Where(c => c.Model is null).Sum(c => c.CostedFromData) == 0
            ? "No cost data: no request of this experiment reports cost_usd or token counts that the price book can price (check the router's usage fields and pricing.json)."
            : null);

    public static IReadOnlyList<Figure> Cost(ExperimentReportData data)
    {
        const string perK = "Cost per 1,000 requests per side, overall and per model: a taller canary bar costs more";
        const string tokens = "Tokens per request (input + output) per side and model";
        if (NoCost(data) is { } why)
        {
            return [Figure.NotDrawn(perK, why)];
        }
        var groups = new List<string?> { null };
        groups.AddRange(data.Costs.Where(c => c.Model is not null).GroupBy(c => c.Model).OrderByDescending(g => g.Sum(c => c.Requests)).Select(g => g.Key).Take(8));
        return
        [
            GroupedBars(data, perK, "USD per 1,000 requests", groups, c => c.CostPer1kRequestsUsd, v => v.ToString("0.###", Invariant)),
            GroupedBars(data, tokens, "tokens per request", groups, c => c.TokensPerRequest, v => v.ToString("N0", Invariant)),
        ];
    }

    private static Figure GroupedBars(ExperimentReportData data, string title, string yLabel, IReadOnlyList<string?> groups,
        Func<CostRow, double?> value, Func<double, string> label)
    {
        var plot = ReportStyle.NewPlot(title, "model", yLabel);
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        var bars = new List<Bar>();
        for (var g = 0; g < groups.Count; g++)
        {
            ticks.AddMajor(g, groups[g] ?? "all models");
            foreach (var (side, offset) in new[] { (Sides.Baseline, -0.2), (Sides.Canary, 0.2) })
            {
                var row = data.Costs.FirstOrDefault(c => c.Side == side && c.Model == groups[g]);
                if (row is null || value(row) is not { } v)
                {
                    continue;
                }
                bars.Add(new Bar { Position = g + offset, Value = v, FillColor = ReportStyle.Side(side), Size = 0.38, Label = label(v), LineWidth = 0 });
            }
        }
        var plottable = plot.Add.Bars(bars);
        plottable.ValueLabelStyle.FontSize = 11;
        plot.Axes.Bottom.TickGenerator = ticks;
        plot.Axes.Margins(bottom: 0, top: 0.15);
        foreach (var side in Sides.Both)
        {
            plot.Legend.ManualItems.Add(new LegendItem { LabelText = SideLabel(data, side), FillColor = ReportStyle.Side(side) });
        }
        plot.ShowLegend(Alignment.UpperRight);
        return ReportStyle.Save(plot, title, NoCanaryNote(data), height: 340);
    }

    public static Figure ValidationOverTime(ExperimentReportData data, double threshold)
    {
        var title = $"Canary shadow-validation match rate per {ReportStyle.Bucket(data.BucketSeconds)}: the lower bound should stay above the threshold";
        if (data.ValidationOverTime.Count == 0)
        {
            return Figure.NotDrawn(title, "No shadow-validation event for this experiment in this time range: the canary's answers are not compared with the baseline's (validation events carry content_match, finish_reason_match, ...).");
        }
        var plot = ReportStyle.NewPlot(title, "time (UTC)", "answers matching the baseline (%)");
        plot.Axes.DateTimeTicksBottom();
        var xs = data.ValidationOverTime.Select(v => ReportStyle.Time(v.BucketStart + data.BucketSeconds / 2)).ToArray();
        var rate = plot.Add.Scatter(xs, data.ValidationOverTime.Select(v => v.MatchRate * 100).ToArray());
        rate.Color = ReportStyle.Canary;
        rate.LineWidth = 2;
        rate.MarkerSize = 5;
        rate.LegendText = $"{SideLabel(data, Sides.Canary)}: match rate";
        var low = plot.Add.Scatter(xs, data.ValidationOverTime.Select(v => v.WilsonLow * 100).ToArray());
        low.Color = ReportStyle.Canary;
        low.LinePattern = LinePattern.Dotted;
        low.LineWidth = 2;
        low.MarkerSize = 0;
        low.LegendText = "Wilson 95 % lower bound";
        var line = plot.Add.HorizontalLine(threshold * 100);
        line.Color = Colors.Black;
        line.LinePattern = LinePattern.Dashed;
        line.LegendText = $"threshold {threshold * 100:0.#} %";
        var min = data.ValidationOverTime.Select(v => v.WilsonLow * 100).Append(threshold * 100).Min();
        plot.Axes.SetLimitsY(Math.Max(0, min - 5), 101);
        ReportStyle.TimeLimits(plot, data.ValidationOverTime.Select(v => v.BucketStart), data.BucketSeconds);
        plot.ShowLegend(Alignment.LowerLeft);
        return ReportStyle.Save(plot, title, height: 320);
    }

    public static Figure SimilarityHistogram(ExperimentReportData data)
    {
        const string title = "Similarity of the canary's answers to the baseline's: mass near 1.0 is good";
        if (data.Similarity.Count == 0)
        {
            return Figure.NotDrawn(title, "No validation event reports a similarity score in this time range.");
        }
        var plot = ReportStyle.NewPlot(title, "similarity (0 = unrelated, 1 = identical)", "validation events");
        var bars = data.Similarity.Select(b => new Bar { Position = b.BinStart + 0.025, Value = b.Events, FillColor = ReportStyle.Canary, Size = 0.045, LineWidth = 0 }).ToList();
        plot.Add.Bars(bars);
        plot.Legend.ManualItems.Add(new LegendItem { LabelText = SideLabel(data, Sides.Canary), FillColor = ReportStyle.Canary });
        plot.Axes.SetLimitsX(0, 1);
        plot.Axes.Margins(bottom: 0);
        plot.ShowLegend(Alignment.UpperLeft);
        return ReportStyle.Save(plot, title, height: 300);
    }
}
