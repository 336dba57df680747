using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using Microsoft.Extensions.Configuration;

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
    public void Evaluate_with_bad_settings_fails_at_start_naming_each_key()
    {
        var config = Path.Combine(_dir, "bad-evaluate.json");
        File.WriteAllText(config, """
            {"Kafka":{"BootstrapServers":"no-port"},
             "Experiments":{"Items":[{"Id":"x","Alpha":2}]}}
            """);
        var (exit, stderr) = Run("evaluate", "--lake", Path.Combine(_dir, "lake"), "--db", Path.Combine(_dir, "e.duckdb"), "--config", config);
        Assert.Equal(2, exit);
        Assert.Contains("Kafka:BootstrapServers \"no-port\" must be host:port", stderr);
        Assert.Contains("Experiments:Items:0:Alpha must be in (0, 0.5)", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.False(File.Exists(Path.Combine(_dir, "e.duckdb")), "nothing is created before the settings are valid");
    }

    [Fact]
    public void A_broken_price_book_fails_run_and_replay_at_start_with_its_json_path()
    {
        var pricing = Path.Combine(_dir, "pricing.json");
        File.WriteAllText(pricing, """{ "Endpoints": { "holy_sheep": { "Currency": "CNY", "Prices": { "gpt-4.1": { "InputPerMillion": 1 } } } } }""");
        var config = WriteConfig($$"""{ "Pricing": { "Path": {{System.Text.Json.JsonSerializer.Serialize(pricing)}} } }""");
        var events = Path.Combine(_dir, "e.ndjson");
        File.WriteAllText(events, "{}\n");
        foreach (var args in new[] { new[] { "run", "--config", config }, ["replay", events, "--db", Path.Combine(_dir, "p.duckdb"), "--config", config] })
        {
            var (exit, stderr) = Run(args);
            Assert.Equal(2, exit);
            Assert.Contains("Endpoints.holy_sheep: no exchange rate for CNY", stderr);
            Assert.Contains("Endpoints.holy_sheep.Prices.gpt-4.1 needs InputPerMillion and OutputPerMillion", stderr);
            Assert.DoesNotContain("   at ", stderr);
        }
        var (missingExit, missing) = Run("run", "--config", WriteConfig("""{ "Pricing": { "Path": "/nonexistent/prices.json" } }"""));
        Assert.Equal(2, missingExit);
        Assert.Contains("Pricing:Path \"/nonexistent/prices.json\": no such file", missing);
    }

    [Fact]
    public void The_example_experiments_file_is_valid_configuration()
    {
        var example = Path.Combine(Path.GetDirectoryName(Kpis.Pricing.PriceBookTests.ExampleBookPath())!, "experiments.example.json");
        var options = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddJsonFile(example).Build()
            .GetSection(ExperimentsOptions.SectionName).Get<ExperimentsOptions>()!;
        Assert.Empty(ExperimentCatalog.Validate(options, ExperimentEvaluator.CreateDefault().Metrics));
        var metrics = ExperimentCatalog.Resolve(options, "holy-sheep-migration").Guardrails;
        Assert.Contains(new Guardrail(MetricNames.ValidationMatchRate, 0, false, HigherIsBetter: true, Threshold: 0.98), metrics);
        Assert.Contains(new Guardrail(MetricNames.CostPerRequest, 0.05, true), metrics);
    }

    private string WriteConfig(string json)
    {
        var path = Path.Combine(_dir, $"c{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
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
