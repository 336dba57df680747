using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using LogAnalytics.Evaluation.Planning;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics plan --db &lt;file&gt; [--experiment &lt;id&gt;]... [--as-of &lt;ISO time&gt;] [--json] [--config &lt;file&gt;]</c>:
/// per stage and guardrail, the canary requests and hours needed before go is reachable, from the traffic observed.</summary>
internal static class PlanCommand
{
    public static Command Create()
    {
        var shared = new AnalysisCommandOptions("plan");
        var asOf = AnalysisCommandOptions.Time("--as-of", "Use only events at or before this ISO-8601 time. Default: now (the traffic is measured up to each experiment's latest request).");
        var json = new Option<bool>("--json") { Description = "One JSON object per experiment per line instead of a table." };
        var command = new Command("plan", "Print, per stage and guardrail, how many canary requests and hours go needs at the observed traffic, if the canary performs like the baseline.")
        {
            shared.Db, shared.Experiments, asOf, json, shared.Config,
        };
        command.SetAction(parse => Run(shared, parse.GetRequiredValue(shared.Db), shared.Only(parse), parse.GetValue(asOf), parse.GetValue(json), parse.GetValue(shared.Config)));
        return command;
    }

    private static int Run(AnalysisCommandOptions shared, string dbPath, string[] only, string? asOfText, bool json, string? configFile)
    {
        if (!shared.TryParseTime("--as-of", asOfText, out var parsedAsOf) || !shared.FileExists(dbPath)
            || !shared.TryLoadSettings(configFile, null, out var options, out var prices))
        {
            return ConfigOption.UsageError;
        }
        var asOf = parsedAsOf ?? DateTimeOffset.UtcNow;
        if (!shared.TryOpenReadOnly(dbPath, out var store))
        {
            return 1;
        }
        using (store)
        {
            try
            {
                var service = new PlanService(store.Connection, options, RolloutPlanner.CreateDefault(), () => prices);
                var ids = only.Length > 0 ? only.Distinct(StringComparer.Ordinal).ToList() : service.Experiments(asOf);
                foreach (var id in ids)
                {
                    var plan = service.Plan(id, asOf);
                    if (plan is null)
                    {
                        Console.Error.WriteLine($"loganalytics plan: experiment \"{id}\" has no request events at or before {asOf:u}; nothing to plan from.");
                        continue;
                    }
                    Console.WriteLine(json ? JsonSerializer.Serialize(plan, Verdict.JsonOptions) : Table(plan));
                }
                return 0;
            }
            catch (DuckDB.NET.Data.DuckDBException ex)
            {
                return shared.NotCurrentSchema(dbPath, ex);
            }
        }
    }

    /// <summary>The plan as a plain-text table (no terminal needed).</summary>
    internal static string Table(ExperimentPlan plan)
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            string.Create(c, $"experiment {plan.Experiment}: {plan.BaselineRequests:N0} baseline + {plan.CanaryRequests:N0} canary requests at the {plan.CurrentStage:0.##} % stage, {plan.MeasuredFrom:u} .. {plan.MeasuredTo:u} ({(plan.RequestsPerHour is { } r ? r.ToString("N0", c) + " requests/h" : "no time span yet")})."),
            "Assumes the canary performs like the baseline; a canary that is worse, even within its margins, needs more.",
            string.Create(c, $"{"stage",-7}{"guardrail",-26}{"canary requests",16}  {"time",-12}note"),
        };
        foreach (var stage in plan.Stages)
        {
            foreach (var g in stage.Guardrails)
            {
                lines.Add(string.Create(c, $"{Percent(stage.Stage),-7}{g.Metric,-26}{Count(g.CanaryRequests),16}  {Duration(g.Hours),-12}{g.Reason}"));
            }
            var dwell = stage.DwellHours is { } d && d > 0 ? $"dwell {Duration(d)}" : "no dwell";
            var per = stage.CanaryRequestsPerHour is { } p ? string.Create(c, $", {p:N1} canary requests/h") : "";
            lines.Add(string.Create(c, $"{Percent(stage.Stage),-7}{"=> go reachable after",-26}{Count(stage.CanaryRequests),16}  {Duration(stage.Hours),-12}({dwell}{per})"));
        }
        return string.Join(Environment.NewLine, lines);
    }

    private static string Percent(double stage) => stage.ToString("0.##", CultureInfo.InvariantCulture) + " %";

    private static string Count(long? n) => n is { } v ? v.ToString("N0", CultureInfo.InvariantCulture) : "-";

    private static string Duration(double? hours) => hours switch
    {
        null => "-",
        >= 48 => (hours.Value / 24).ToString("0.#", CultureInfo.InvariantCulture) + " d",
        >= 1 => hours.Value.ToString("0.#", CultureInfo.InvariantCulture) + " h",
        _ => (hours.Value * 60).ToString("0", CultureInfo.InvariantCulture) + " min",
    };
}
