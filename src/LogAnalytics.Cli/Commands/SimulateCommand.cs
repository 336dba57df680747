using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using LogAnalytics.Evaluation.Simulation;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics simulate</c>: the seeded simulation behind the verdict engine's error-rate and power claims.</summary>
internal static class SimulateCommand
{
    public static Command Create()
    {
        var experiments = new Option<int>("--experiments") { Description = "Simulated experiments per scenario.", DefaultValueFactory = _ => 300 };
        var looks = new Option<int>("--looks") { Description = "Evaluations per experiment as its data grows.", DefaultValueFactory = _ => 48 };
        var perLook = new Option<int>("--requests-per-look") { Description = "Requests (both sides) between looks.", DefaultValueFactory = _ => 4000 };
        var seed = new Option<int>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 20261124 };
        var command = new Command("simulate", "Simulate A/A and degraded-canary experiments evaluated at every look, and print the false no_go rate and the power.")
        {
            experiments, looks, perLook, seed,
        };
        command.SetAction(parse =>
        {
            var settings = new SimulationSettings
            {
                Experiments = parse.GetValue(experiments),
                Looks = parse.GetValue(looks),
                RequestsPerLook = parse.GetValue(perLook),
                Seed = parse.GetValue(seed),
            };
            if (settings.Experiments < 1 || settings.Looks < 1 || settings.RequestsPerLook < 100)
            {
                Console.Error.WriteLine("loganalytics simulate: --experiments and --looks must be >= 1, --requests-per-look >= 100");
                return ConfigOption.UsageError;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{settings.Experiments} experiments per scenario, {settings.Looks} looks each, {settings.RequestsPerLook} requests per look, canary {settings.CanaryWeightPercent} %, baseline error rate {settings.BaselineErrorRate:P1}, alpha 0.05"));
            foreach (var effect in new[] { CanaryEffect.None, new CanaryEffect("p99 +30 %", TailFactor: 1.3), new CanaryEffect("error rate x3", ErrorFactor: 3) })
            {
                var clock = Stopwatch.StartNew();
                var r = SequentialSimulation.Run(settings, effect);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{effect.Name,-14} no_go {r.NoGoRate,7:P1} ({r.EverNoGo}/{r.Experiments})  go {r.GoRate,7:P1}  naive repeated fixed-horizon test fires {r.NaiveRate,7:P1}  mean canary n at last look {r.FinalCanarySamples:F0}  ({clock.Elapsed.TotalSeconds:F1} s)"));
            }
            return 0;
        });
        return command;
    }
}
