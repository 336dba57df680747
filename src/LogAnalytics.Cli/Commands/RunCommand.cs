using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics run [--config file.json]</c>: the hosted worker.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = ConfigOption.Create();
        var shortcutOptions = new ExperimentShortcutOptions();
        var command = new Command("run", "Run the worker: consume router logs from Kafka into DuckDB until SIGTERM / Ctrl-C.") { config };
        shortcutOptions.AddTo(command);
        command.SetAction(async (parse, ct) =>
        {
            var shortcut = shortcutOptions.Read(parse);
            if (ExperimentShortcutOptions.ReportErrors("run", shortcut))
            {
                return ConfigOption.UsageError;
            }
            try
            {
                using var host = AppHost.BuildWorkerHost(parse.GetValue(config),
                    configureServices: services => services.PostConfigure<LogAnalytics.Experiments.ExperimentsOptions>(shortcut.Apply));
                AppHost.ValidateSettings(host.Services);
                await host.RunAsync(ct);
                return Environment.ExitCode;
            }
            catch (Exception ex) when (ConfigOption.IsConfigurationError(ex))
            {
                return ConfigOption.Report(ex);
            }
        });
        return command;
    }
}

/// <summary>The shared <c>--config</c> option and how configuration errors are reported.</summary>
internal static class ConfigOption
{
    /// <summary>Exit code for bad arguments or settings.</summary>
    public const int UsageError = 2;

    public static Option<string?> Create() => new("--config")
    {
        Description = "A JSON settings file layered over appsettings.json (environment variables LOGANALYTICS_* override both).",
    };

    public static bool IsConfigurationError(Exception ex) =>
        ex is OptionsValidationException or FileNotFoundException or InvalidDataException
        || ex is InvalidOperationException { InnerException: FormatException }
        || (ex is AggregateException agg && agg.InnerExceptions.All(IsConfigurationError));

    public static int Report(Exception ex)
    {
        var messages = ex switch
        {
            OptionsValidationException o => o.Failures,
            AggregateException a => a.InnerExceptions.SelectMany(e => e is OptionsValidationException o ? o.Failures : [e.Message]),
            _ => [ex.InnerException is FormatException ? $"{ex.Message} ({ex.InnerException.Message})" : ex.Message],
        };
        foreach (var m in messages)
        {
            Console.Error.WriteLine($"loganalytics: configuration error: {m}");
        }
        return UsageError;
    }
}
