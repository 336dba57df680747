using ScottPlot;

namespace LogAnalytics.Report.Plots;

/// <summary>The report's visual constants: one color per side on every plot, one per error class and decision.</summary>
internal static class ReportStyle
{
    /// <summary>A font family that ships with Debian (fonts-dejavu-core) and renders without network access.</summary>
    public const string FontFamily = "DejaVu Sans";

    public const int Width = 900;
    public const int Height = 380;

    public static readonly Color Baseline = Color.FromHex("#1f77b4");
    public static readonly Color Canary = Color.FromHex("#ff7f0e");

    public static Color Side(string side) => side == Data.Sides.Canary ? Canary : Baseline;

    public static readonly IReadOnlyDictionary<string, Color> ErrorClass = new Dictionary<string, Color>
    {
        ["server"] = Color.FromHex("#d62728"),
        ["rate_limit"] = Color.FromHex("#9467bd"),
        ["timeout_transport"] = Color.FromHex("#8c564b"),
        ["auth"] = Color.FromHex("#e377c2"),
        ["bad_request"] = Color.FromHex("#bcbd22"),
        ["other"] = Color.FromHex("#7f7f7f"),
    };

    public static readonly IReadOnlyDictionary<string, Color> Decision = new Dictionary<string, Color>
    {
        ["go"] = Color.FromHex("#2ca02c"),
        ["wait"] = Color.FromHex("#7f7f7f"),
        ["no_go"] = Color.FromHex("#d62728"),
    };

    public static Plot NewPlot(string title, string xLabel, string yLabel)
    {
        var plot = new Plot();
        plot.Font.Set(FontFamily);
        plot.Title(title, size: 15);
        plot.XLabel(xLabel, size: 13);
        plot.YLabel(yLabel, size: 13);
        return plot;
    }

    public static Figure Save(Plot plot, string title, string? note = null, int width = Width, int height = Height) =>
        Figure.Drawn(title, plot.GetImageBytes(width, height, ImageFormat.Png), width, height, note);

    /// <summary>Ticks for an axis whose coordinates are log10 of the values: 1, 2, 5 x 10^k labelled, the rest minor.</summary>
    public static ScottPlot.TickGenerators.NumericManual LogTicks(double min, double max, Func<double, string> label)
    {
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        min = Math.Max(min, 1e-3);
        max = Math.Max(max, min);
        if (max / min < 4)
        {
            // A narrow range holds few of 1, 2, 5 x 10^k: label evenly spaced round values instead (about five).
            var raw = (max - min) / 5;
            var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw > 0 ? raw : min / 10)));
            var step = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(st => st >= raw);
            for (var value = Math.Floor(min / step) * step; value <= max + step; value += step)
            {
                if (value > 0)
                {
                    ticks.AddMajor(Math.Log10(value), label(value));
                }
            }
            return ticks;
        }
        var low = (int)Math.Floor(Math.Log10(min));
        var high = (int)Math.Ceiling(Math.Log10(max));
        for (var k = low; k <= high; k++)
        {
            for (var m = 1; m <= 9; m++)
            {
                var value = m * Math.Pow(10, k);
                if (m is 1 or 2 or 5)
                {
                    ticks.AddMajor(Math.Log10(value), label(value));
                }
                else
                {
                    ticks.AddMinor(Math.Log10(value));
                }
            }
        }
        return ticks;
    }

    /// <summary>Milliseconds as a tick label: 0.5, 20, 1,000.</summary>
    public static string Ms(double value) => value.ToString(value < 1 ? "0.###" : "N0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Epoch seconds as the OLE date ScottPlot's time axis uses.</summary>
    public static double Time(double epochSeconds) => DateTime.UnixEpoch.AddSeconds(epochSeconds).ToOADate();

    /// <summary>Time axis limits: from the first bucket's start to the last bucket's end (ScottPlot would show days
    /// around a single bucket).</summary>
    public static void TimeLimits(Plot plot, IEnumerable<double> bucketStarts, double bucketSeconds)
    {
        var starts = bucketStarts.ToList();
        if (starts.Count > 0)
        {
            plot.Axes.SetLimitsX(Time(starts.Min()), Time(starts.Max() + bucketSeconds));
        }
    }

    /// <summary>A bucket width in words: "1 min", "15 min", "1 h", "1 day".</summary>
    public static string Bucket(double seconds) => seconds switch
    {
        < 60 => $"{seconds:0} s",
        < 3600 => $"{seconds / 60:0} min",
        < 86400 => $"{seconds / 3600:0} h",
        _ => $"{seconds / 86400:0} day" + (seconds >= 2 * 86400 ? "s" : ""),
    };
}
