using System.CommandLine;
using LogAnalytics.Cli.Commands;

var root = new RootCommand("LogAnalytics: router traffic logs from Kafka into DuckDB, and go / no_go / wait verdicts for canary stages.")
{
    RunCommand.Create(),
    ReplayCommand.Create(),
    VerdictCommand.Create(),
    SimulateCommand.Create(),
    DemoCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
