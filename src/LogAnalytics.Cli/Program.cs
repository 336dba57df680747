using System.CommandLine;
using LogAnalytics.Cli.Commands;

var root = new RootCommand("LogAnalytics: router traffic logs from Kafka into DuckDB, and go / no_go / wait verdicts for canary stages.")
{
    RunCommand.Create(),
    ReplayCommand.Create(),
    VerdictCommand.Create(),
    PlanCommand.Create(),
    EvaluateCommand.Create(),
    SimulateCommand.Create(),
    DemoCommand.Create(),
    ReportCommand.Create(),
    WatchCommand.Create(),
};
// Ctrl-C / SIGTERM cancel the command's token; give it time to stop its host cleanly (the host's own shutdown
// timeout is 60 s) instead of System.CommandLine's default of 2 s, after which it would exit with 130 mid-shutdown.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = TimeSpan.FromSeconds(65) });
