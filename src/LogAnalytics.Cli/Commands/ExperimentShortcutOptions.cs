using System.CommandLine;
using LogAnalytics.Experiments;

namespace LogAnalytics.Cli.Commands;

/// <summary>The shared <c>--baseline-endpoint</c>, <c>--canary-endpoint</c> and <c>--stage</c> options of
/// <c>verdict</c>, <c>replay</c> and <c>run</c>: an experiment configuration without a configuration file.</summary>
internal sealed class ExperimentShortcutOptions
{
    public Option<string?> Baseline { get; } = new("--baseline-endpoint")
    {
        Description = "The endpoint traffic moves away from (e.g. legacy): with --canary-endpoint, a shortcut for an experiment configuration (the 'default' experiment unless one --experiment is named).",
    };

    public Option<string?> Canary { get; } = new("--canary-endpoint")
    {
        Description = "The endpoint traffic moves to (e.g. holy_sheep).",
    };

    public Option<double?> Stage { get; } = new("--stage")
    {
        Description = "The current canary weight in percent (e.g. 5) when no stage event says. Default: the first stage, 5.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Baseline);
        command.Options.Add(Canary);
        command.Options.Add(Stage);
    }

    public ExperimentShortcut Read(ParseResult parse, string? experimentId = null) =>
        new(parse.GetValue(Baseline), parse.GetValue(Canary), parse.GetValue(Stage), experimentId);

    /// <summary>Prints the shortcut's problems to stderr; true when there were any (exit 2).</summary>
    public static bool ReportErrors(string command, ExperimentShortcut shortcut)
    {
        var errors = shortcut.Validate();
        foreach (var e in errors)
        {
            Console.Error.WriteLine($"loganalytics {command}: {e}");
        }
        return errors.Count > 0;
    }
}
