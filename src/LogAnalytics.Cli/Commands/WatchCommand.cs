using System.CommandLine;
using LogAnalytics.Cli.Watch;
using LogAnalytics.Ingestion.Kafka;
using Microsoft.Extensions.Configuration;
using Spectre.Console;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics watch [--config f]</c>: a live terminal dashboard of every experiment's latest verdict and the
/// workers' consumer lag, refreshed every second; plain lines without a terminal (CI=true); stops on Ctrl-C / SIGTERM.</summary>
internal static class WatchCommand
{
    /// <summary>How often the dashboard refreshes.</summary>
    public static readonly TimeSpan Refresh = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var config = ConfigOption.Create();
        var command = new Command("watch", "Live dashboard of all experiments (stage, decision, samples, guardrails) from the verdict topic, with the workers' consumer lag and events/s.")
        {
            config,
        };
        command.SetAction((parse, token) => Run(parse.GetValue(config), token));
        return command;
    }

    private static async Task<int> Run(string? configFile, CancellationToken token)
    {
        KafkaOptions kafka;
        try
        {
            var configuration = new ConfigurationBuilder();
            AppHost.Configure(configuration, configFile);
            kafka = configuration.Build().GetSection(KafkaOptions.SectionName).Get<KafkaOptions>() ?? new KafkaOptions();
        }
        catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
        {
            return ConfigOption.Report(ex);
        }
        if (string.IsNullOrWhiteSpace(kafka.BootstrapServers))
        {
            Console.Error.WriteLine("loganalytics watch: configuration error: Kafka:BootstrapServers is empty; set it in --config or LOGANALYTICS_Kafka__BootstrapServers");
            return ConfigOption.UsageError;
        }
        if (string.IsNullOrWhiteSpace(kafka.VerdictTopic))
        {
            Console.Error.WriteLine("loganalytics watch: configuration error: Kafka:VerdictTopic is empty: the workers publish no verdicts to watch");
            return ConfigOption.UsageError;
        }

        using var source = new KafkaWatchSource(kafka, TimeProvider.System);
        try
        {
            if (Terminal.IsInteractive)
            {
                await AnsiConsole.Live(new Markup("connecting to " + Markup.Escape(kafka.BootstrapServers) + "...")).StartAsync(async live =>
                {
                    await Loop(source, snapshot => live.UpdateTarget(WatchView.Table(snapshot)), token);
                });
            }
            else
            {
                await Loop(source, snapshot =>
                {
                    foreach (var line in WatchView.PlainLines(snapshot))
                    {
                        Console.WriteLine(line);
                    }
                    Console.Out.Flush();
                }, token);
            }
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // Ctrl-C / SIGTERM: a watch that was asked to stop has done its job.
        }
        Console.Error.WriteLine("loganalytics watch: stopped");
        return 0;
    }

    private static async Task Loop(KafkaWatchSource source, Action<WatchSnapshot> show, CancellationToken token)
    {
        using var timer = new PeriodicTimer(Refresh);
        do
        {
            var snapshot = await Task.Run(() => source.Poll(Refresh / 2, token), token);
            show(snapshot);
        }
        while (await timer.WaitForNextTickAsync(token));
    }
}
