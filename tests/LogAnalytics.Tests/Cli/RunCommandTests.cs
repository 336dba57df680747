
namespace LogAnalytics.Tests.Cli;

/// <summary>`loganalytics run` with bad settings stops at start with one line per problem naming its key (exit 2).</summary>
public sealed class RunCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-run-").FullName;

    private static (int ExitCode, string StdErr) Run(params string[] args)
    {
        var (exit, _, stderr) = CliProcess.Run(args);
        return (exit, stderr);
    }

    [Fact]
    public void Bad_settings_fail_at_start_naming_each_key()
    {
        var config = Path.Combine(_dir, "bad.json");
        File.WriteAllText(config, """
            {"Kafka":{"BootstrapServers":"no-port","DeadLetterTopic":"router-logs"},
             "Storage":{"DatabasePath":""},
             "Experiments":{"Items":[{"Id":"x","MinDwell":["2h"],"Alpha":2,"Metrics":[{"Name":"latency_p42"}]}]}}
            """);
        var (exit, stderr) = Run("run", "--config", config);
        Assert.Equal(2, exit);
        Assert.Contains("Kafka:BootstrapServers \"no-port\" must be host:port", stderr);
        Assert.Contains("Kafka:DeadLetterTopic", stderr);
        Assert.Contains("Storage:DatabasePath is required", stderr);
        Assert.Contains("Experiments:Items:0:MinDwell has 1 entries but there are 4 stages", stderr);
        Assert.Contains("Experiments:Items:0:Alpha must be in (0, 0.5)", stderr);
        Assert.Contains("Experiments:Items:0:Metrics:0:Name \"latency_p42\"", stderr);
        Assert.DoesNotContain("   at ", stderr); // no stack trace
    }

    [Fact]
    public void A_missing_config_file_is_a_clear_error()
    {
        var (exit, stderr) = Run("run", "--config", Path.Combine(_dir, "nope.json"));
        Assert.Equal(2, exit);
        Assert.Contains("nope.json: no such file", stderr);
    }

    [Fact]
    public void Replay_of_a_missing_file_is_a_clear_error()
    {
        var (exit, stderr) = Run("replay", Path.Combine(_dir, "missing.ndjson"), "--db", Path.Combine(_dir, "x.duckdb"));
        Assert.Equal(2, exit);
        Assert.Contains("missing.ndjson: no such file", stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort.
        }
    }
}
