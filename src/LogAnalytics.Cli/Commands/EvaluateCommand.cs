using System.CommandLine;
using LogAnalytics.Hosting;
using LogAnalytics.Publishing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Serilog;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics evaluate --lake &lt;dir&gt; [--db &lt;file&gt;] [--config file.json]</c>: the one evaluator of a lake
/// shared by several ingest workers (<c>Storage:LakeShared</c>); publishes verdicts until SIGTERM / Ctrl-C.</summary>
internal static class EvaluateCommand
{
    /// <summary>The evaluator's own file when <c>--db</c> is not given.</summary>
    public const string DefaultDatabase = "loganalytics-evaluator.duckdb";

    public static Command Create()
    {
        var lake = new Option<string>("--lake") { Description = "The shared lake folder (the ingest workers' Storage:LakePath).", Required = true };
        var db = new Option<string>("--db") { Description = $"The evaluator's own DuckDB file (its verdicts table). Default {DefaultDatabase}.", DefaultValueFactory = _ => DefaultDatabase };
        var config = ConfigOption.Create();
        var command = new Command("evaluate", "Run the evaluator: judge every experiment from the shared lake and publish go / no_go / wait verdicts, until SIGTERM / Ctrl-C. Run one replica.")
        {
            lake, db, config,
        };
        command.SetAction(async (parse, ct) =>
        {
            // A lake that does not exist yet is waited for (the evaluator may start before the first worker): the
            // evaluator says so in its log, naming the folder.
            var lakePath = Path.GetFullPath(parse.GetRequiredValue(lake));
            try
            {
                var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
                {
                    Args = [],
                    ContentRootPath = Directory.GetCurrentDirectory(),
                    DisableDefaults = true,
                });
                AppHost.Configure(builder.Configuration, parse.GetValue(config));
                builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(60));
                builder.Services.AddSerilog((_, logger) => AppHost.ConfigureLogger(logger, builder.Configuration, quietConsole: false));
                builder.Services.AddLogAnalyticsLakeEvaluator(builder.Configuration,
                    new LakeEvaluatorSettings(lakePath, Path.GetFullPath(parse.GetRequiredValue(db))));
                using var host = builder.Build();
                AppHost.ValidateSettings(host.Services); // one line per bad key, before the host logs a stack trace
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
