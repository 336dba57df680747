using System.Globalization;
using System.Text;
using LogAnalytics.Verdicts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace LogAnalytics.Cli.Watch;

/// <summary>Renders a <see cref="WatchSnapshot"/> as a live table (terminal) or as plain lines (CI, logs). Shared by
/// <c>loganalytics watch</c> and the demo.</summary>
internal static class WatchView
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static IRenderable Table(WatchSnapshot s) =>
        Experiments(s.Verdicts, s.At, s.VerdictError ?? "(no verdict published yet)").Caption(Markup.Escape(GroupLine(s.Group)));

    /// <summary>One row per experiment: stage, decision, samples per side and each guardrail's change, interval and
    /// outcome (the demo's live view shows the same table under its traffic table).</summary>
    public static Table Experiments(IReadOnlyList<Verdict> verdicts, DateTimeOffset at, string whenEmpty)
    {
        var table = new Table()
            .Title(Markup.Escape($"LogAnalytics experiments at {at.UtcDateTime:HH:mm:ss} UTC"))
            .AddColumn("experiment")
            .AddColumn(new TableColumn("stage").RightAligned())
            .AddColumn("decision")
            .AddColumn(new TableColumn("baseline").RightAligned())
            .AddColumn(new TableColumn("canary").RightAligned())
            .AddColumn("guardrails: change [[interval]] outcome");
        foreach (var v in verdicts)
        {
            table.AddRow(
                new Markup(Markup.Escape(v.Experiment)),
                new Markup(Pct(v.CurrentStage)),
                new Markup($"[{DecisionColor(v.Decision)}]{Markup.Escape(v.Decision)}[/]"),
                new Markup(N(v.Samples.Baseline)),
                new Markup(N(v.Samples.Canary)),
                new Markup(string.Join('\n', v.Checks.Select(c => $"{Markup.Escape(Guardrail(c))} [{OutcomeColor(c.Outcome)}]{Markup.Escape(c.Outcome)}[/]")).EmptyAsDash()));
        }
        if (verdicts.Count == 0)
        {
            table.AddRow(Markup.Escape(whenEmpty));
        }
        return table;
    }

    public static IEnumerable<string> PlainLines(WatchSnapshot s)
    {
        var at = $"[{s.At.UtcDateTime:HH:mm:ss}]";
        yield return $"{at} {GroupLine(s.Group)}";
        foreach (var v in s.Verdicts)
        {
            var line = new StringBuilder();
            line.Append(Invariant, $"{at} {v.Experiment}: stage {Pct(v.CurrentStage)}, decision {v.Decision}, baseline {N(v.Samples.Baseline)}, canary {N(v.Samples.Canary)}");
            foreach (var c in v.Checks)
            {
                line.Append("; ").Append(Guardrail(c)).Append(' ').Append(c.Outcome);
            }
            yield return line.ToString();
        }
        if (s.Verdicts.Count == 0)
        {
            yield return $"{at} {s.VerdictError ?? "no verdict published yet"}";
        }
    }

    /// <summary>"latency_p99 +3.2 % [-1 %, +7.4 %]": the canary's change against the baseline and the interval of the
    /// difference on the guardrail's scale (relative: %, absolute: percentage points or ms).</summary>
    internal static string Guardrail(MetricCheck c)
    {
        var change = c.RelativeChange is { } rc ? Signed(rc * 100) + " %" : "n/a";
        var interval = c.CiLow is null && c.CiHigh is null ? "[n/a]" : $"[{Scaled(c, c.CiLow)}, {Scaled(c, c.CiHigh)}]";
        return $"{c.Metric} {change} {interval}";
    }

    private static string Scaled(MetricCheck c, double? value)
    {
        if (value is not { } v)
        {
            return "-inf";
        }
        if (c.Scale == "relative")
        {
            return Signed(v * 100) + " %";
        }
        return c.Metric.StartsWith("latency", StringComparison.Ordinal) ? Signed(v) + " ms" : Signed(v * 100) + " pp";
    }

    private static string GroupLine(GroupProgress? g) => g switch
    {
        null => "consumer group: measuring...",
        { Error: { } e } => $"consumer group {g.GroupId}: lag unavailable ({e})",
        _ => $"consumer group {g.GroupId}: lag {(g.Lag is { } l ? N(l) : "-")} messages on {g.Partitions} partitions, {(g.EventsPerSecond is { } r ? r.ToString("N1", Invariant) : "-")} events/s",
    };

    private static string DecisionColor(string decision) => decision switch
    {
        Decisions.Go => "green",
        Decisions.NoGo => "red",
        _ => "grey",
    };

    private static string OutcomeColor(string outcome) => outcome switch
    {
        Outcomes.Pass => "green",
        Outcomes.Fail => "red",
        _ => "grey",
    };

    private static string EmptyAsDash(this string text) => text.Length == 0 ? "-" : text;

    private static string Signed(double v) => (v > 0 ? "+" : "") + v.ToString("0.##", Invariant);

    private static string Pct(double stage) => stage.ToString("0.##", Invariant) + " %";

    private static string N(long value) => value.ToString("N0", Invariant);
}
