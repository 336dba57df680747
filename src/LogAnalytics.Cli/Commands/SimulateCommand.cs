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
        var scenario = new Option<string>("--scenario")
        {
            Description = "long: the 48-look stage above; modest: issue 10's modest-traffic target (1,000 canary / 19,000 baseline requests over 5 looks, baseline error rate 2 %): power for errors 2 % -> 6 % and latency x1.5, A/A false no_go, and false go exactly at the error-rate and latency margins.",
            DefaultValueFactory = _ => "long",
        };
        scenario.AcceptOnlyFromAmong("long", "modest");
        var command = new Command("simulate", "Simulate A/A and degraded-canary experiments evaluated at every look, and print the false no_go rate and the power.")
        {
            experiments, looks, perLook, seed, scenario,
        };
        command.SetAction(parse =>
        {
            if (parse.GetValue(scenario) == "modest")
            {
                return Modest(parse.GetValue(experiments), parse.GetValue(seed));
            }
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

    /// <summary>Issue 10's target: at 1,000 canary / 19,000 baseline requests over 5 looks, ≥ 90 % no_go for errors 2 % → 6 %
    /// and latency x1.5, while A/A false no_go and at-margin false go stay ≤ alpha.</summary>
    private static int Modest(int experiments, int seed)
    {
        var settings = new SimulationSettings
        {
            Experiments = experiments,
            Looks = 5,
            RequestsPerLook = 4000,
            BaselineErrorRate = 0.02,
            Seed = seed,
        };
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"modest traffic: {settings.Experiments} experiments per scenario, {settings.Looks} looks of {settings.RequestsPerLook} requests (about 1,000 canary / 19,000 baseline at the last look), canary {settings.CanaryWeightPercent} %, baseline error rate {settings.BaselineErrorRate:P0}, default guardrails, no dwell, MinSamples 1, alpha 0.05"));
        var scenarios = new (CanaryEffect Effect, string Target, Func<SimulationResult, double> Measure)[]
        {
            (new CanaryEffect("errors 2 % -> 6 %", ErrorFactor: 3), "no_go >= 90 %", r => r.NoGoRate),
            (new CanaryEffect("latency x1.5", LatencyFactor: 1.5), "no_go >= 90 %", r => r.NoGoRate),
            (CanaryEffect.None, "false no_go <= 5 %", r => r.NoGoRate),
            (new CanaryEffect("errors at margin +0.5 pp", ErrorDelta: 0.005), "false go <= 5 %", r => r.GoRate),
            (new CanaryEffect("latency at margin x1.1", LatencyFactor: 1.1), "false go <= 5 %", r => r.GoRate),
        };
        foreach (var (effect, target, measure) in scenarios)
        {
            var clock = Stopwatch.StartNew();
            var r = SequentialSimulation.Run(settings, effect);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{effect.Name,-26} no_go {r.NoGoRate,7:P1} ({r.EverNoGo}/{r.Experiments})  go {r.GoRate,7:P1} ({r.EverGo}/{r.Experiments})  target {target}: {measure(r):P1}  mean canary n at last look {r.FinalCanarySamples:F0}  ({clock.Elapsed.TotalSeconds:F1} s)"));
        }
        return 0;
    }
}
