using System.CommandLine;

namespace LogAnalytics.Cli.Commands;

/// <summary><c>loganalytics demo</c>: zero-install run against librdkafka's mock cluster.</summary>
internal static class DemoCommand
{
    public static Command Create()
    {
        var command = new Command("demo", "Run the whole pipeline against an embedded mock Kafka cluster and a synthetic router, then print where the data is.");
        command.SetAction(_ => 0);
        return command;
    }
}
