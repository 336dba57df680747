using System.CommandLine;
using System.Globalization;
using Confluent.Kafka;
using LogAnalytics.Cli.Demo;
using LogAnalytics.SyntheticTraffic;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics demo</c>: zero-install run against librdkafka's mock cluster.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var defaults = new DemoSettings();
        var duration = new Option<double>("--duration")
        {
            Description = "Seconds of traffic before the demo stops by itself (Ctrl-C stops it earlier).",
            DefaultValueFactory = _ => defaults.Duration.TotalSeconds,
        };
        var rate = new Option<double>("--rate")
        {
            Description = "Synthetic router events per second.",
            DefaultValueFactory = _ => defaults.Rate,
        };
        var db = new Option<string?>("--db")
        {
            Description = "The DuckDB file to create (must not exist). Default: a new file under ./loganalytics-demo/.",
        };
        var scenario = new Option<string>("--scenario")
        {
            Description = "The traffic to simulate: " + string.Join(", ", TrafficScenario.Presets.Select(p => $"{p.Name} ({p.Description})")) + ".",
            DefaultValueFactory = _ => defaults.Scenario.Name,
        };
        scenario.AcceptOnlyFromAmong(TrafficScenario.Presets.Select(p => p.Name).ToArray());
        var seed = new Option<int>("--seed")
        {
            Description = "The synthetic router's random seed (same seed, same traffic).",
            DefaultValueFactory = _ => defaults.Seed,
        };
        var command = new Command("demo", "Run the whole pipeline against an embedded mock Kafka cluster and a synthetic router, then print where the data is.")
        {
            duration, rate, db, scenario, seed,
        };
        command.SetAction(async (parse, ct) =>
        {
            var seconds = parse.GetValue(duration);
            var eventsPerSecond = parse.GetValue(rate);
            if (!(seconds > 0) || seconds > 86_400)
            {
                await Console.Error.WriteLineAsync("loganalytics demo: --duration must be within (0, 86400] seconds");
                return ConfigOption.UsageError;
            }
            if (!(eventsPerSecond > 0) || eventsPerSecond > 200_000)
            {
                await Console.Error.WriteLineAsync("loganalytics demo: --rate must be within (0, 200000] events per second");
                return ConfigOption.UsageError;
            }
            TrafficScenario.TryGetPreset(parse.GetRequiredValue(scenario), out var preset);
            var settings = defaults with
            {
                Duration = TimeSpan.FromSeconds(seconds),
                Rate = eventsPerSecond,
                DatabasePath = parse.GetValue(db),
                Scenario = preset!,
                Seed = parse.GetValue(seed),
            };
            try
            {
                var outcome = await DemoRunner.RunAsync(settings, Console.Out, Terminal.IsInteractive, ct);
                return outcome.ExitCode;
            }
            catch (KafkaException ex)
            {
                await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
                    $"loganalytics demo: the embedded mock Kafka cluster failed: {ex.Error.Reason}. It needs nothing but loopback (127.0.0.1) ports."));
                return 1;
            }
            catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
            {
                return ConfigOption.Report(ex);
            }
        });
        return command;
    }
}
