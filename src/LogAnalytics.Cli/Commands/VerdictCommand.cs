using System.CommandLine;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics verdict --db &lt;file&gt; [--experiment &lt;id&gt;]... [--as-of &lt;ISO time&gt;] [--config &lt;file&gt;]</c>:
/// one verdict per experiment per line (JSON Lines), computed from the file alone.</summary>
internal static class VerdictCommand
{
    public static Command Create()
    {
        var shared = new AnalysisCommandOptions("verdict");
        var asOf = AnalysisCommandOptions.Time("--as-of", "Judge as of this ISO-8601 time, using only events at or before it. Default: now.");
        var shortcut = new ExperimentShortcutOptions();
        var command = new Command("verdict", "Print the go / no_go / wait verdict of each experiment as JSON Lines (schema loganalytics.verdict/v1).")
        {
            shared.Db, shared.Experiments, asOf, shared.Config,
        };
        shortcut.AddTo(command);
        command.SetAction(parse =>
        {
            var only = shared.Only(parse);
            return Run(shared, parse.GetRequiredValue(shared.Db), only, parse.GetValue(asOf), parse.GetValue(shared.Config),
                shortcut.Read(parse, only.Length == 1 ? only[0] : null));
        });
        return command;
    }

    private static int Run(AnalysisCommandOptions shared, string dbPath, string[] only, string? asOfText, string? configFile, ExperimentShortcut shortcut)
    {
        if (ExperimentShortcutOptions.ReportErrors("verdict", shortcut) || !shared.TryParseTime("--as-of", asOfText, out var parsedAsOf)
            || !shared.FileExists(dbPath) || !shared.TryLoadSettings(configFile, shortcut.Apply, out var options, out var prices))
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
                var service = new VerdictService(store.Connection, options, ExperimentEvaluator.CreateDefault(), () => prices);
                var ids = only.Length > 0 ? only.Distinct(StringComparer.Ordinal).ToList() : service.Experiments(asOf);
                foreach (var id in ids)
                {
                    Console.WriteLine(service.Evaluate(id, asOf).ToJson());
                }
                return 0;
            }
            catch (DuckDB.NET.Data.DuckDBException ex)
            {
                return shared.NotCurrentSchema(dbPath, ex);
            }
        }
    }
}
