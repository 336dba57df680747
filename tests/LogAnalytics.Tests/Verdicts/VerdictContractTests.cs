using System.Text.Json.Nodes;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Tests.Verdicts;

/// <summary>schema/verdict.v1.json pins the published contract: verdicts of every decision path obey it, and renaming
/// or dropping a property fails.</summary>
public sealed class VerdictContractTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ExperimentEvaluator Evaluator = ExperimentEvaluator.CreateDefault();

    private static ExperimentDefinition Experiment(int minSamples = 100) => ExperimentCatalog.Defaults("contract") with
    {
        MinDwell = [TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.FromHours(1), TimeSpan.Zero],
        MinSamples = minSamples,
        UsesDefaults = false,
    };

    private static ArmSample Arm(int n, double ms, long errors, string cls = "server", double? costUsd = null)
    {
        var random = new Random(n);
        var latencies = Enumerable.Range(0, n).Select(_ => ms * Math.Exp(0.3 * (random.NextDouble() - 0.5))).Order().ToArray();
        var arm = new ArmSample(["e"], latencies, new Dictionary<string, long> { [cls] = errors });
        if (costUsd is { } usd)
        {
            var builder = new ArmCostBuilder();
            for (var i = 0; i < n; i++)
            {
                builder.Add(new RequestCost(usd * (1 + (0.1 * random.NextDouble())), CostSources.Event, "m"), null, null, null);
            }
            arm = arm with { Cost = builder.Build() };
        }
        return arm;
    }

    private static ExperimentSample Sample(ArmSample baseline, ArmSample canary, double hours = 2) => new()
    {
        Experiment = "contract",
        AsOf = Start.AddHours(hours),
        Stage = new StageInfo(5, Start, StageSource.Event),
        Baseline = baseline,
        Canary = canary,
    };

    public static TheoryData<string> Paths => new() { "no_data", "no_canary", "misconfigured", "failing", "broken_split", "waiting", "go", "with_cost" };

    private static Verdict Produce(string path) => path switch
    {
        "no_data" => Evaluator.Evaluate(Experiment(), Sample(ArmSample.Empty, ArmSample.Empty), null),
        "no_canary" => Evaluator.Evaluate(Experiment(), Sample(Arm(500, 800, 5), ArmSample.Empty), null),
        "misconfigured" => Evaluator.Evaluate(Experiment(), Sample(Arm(1900, 800, 5), Arm(100, 800, 40, "auth")), null),
        "failing" => Evaluator.Evaluate(Experiment(), Sample(Arm(19_000, 800, 190), Arm(1_000, 1_600, 100)), null),
        "broken_split" => Evaluator.Evaluate(Experiment(), Sample(Arm(9_000, 800, 90), Arm(1_000, 800, 10)), null),
        "waiting" => Evaluator.Evaluate(Experiment(), Sample(Arm(1_900, 800, 19), Arm(100, 800, 1), hours: 0.5), null),
        "go" => Evaluator.Evaluate(Experiment() with { Guardrails = [new Guardrail(MetricNames.LatencyP50, 0.10, true)] },
            Sample(Arm(19_000, 800, 0), Arm(20_000, 800, 0)) with { Stage = new StageInfo(50, Start, StageSource.Event) }, null),
        "with_cost" => Evaluator.Evaluate(Experiment(), Sample(Arm(3_800, 800, 38, costUsd: 0.004), Arm(200, 800, 2, costUsd: 0.004)), null),
        _ => throw new ArgumentOutOfRangeException(nameof(path)),
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public void Every_decision_path_produces_a_verdict_that_obeys_the_schema(string path)
    {
        var verdict = VerdictContract.AssertValid(Produce(path));
        var expected = path switch
        {
            "misconfigured" or "failing" => Decisions.NoGo,
            "go" => Decisions.Go,
            _ => Decisions.Wait,
        };
        Assert.Equal(expected, verdict.Decision);
    }

    [Theory]
    [InlineData("sequential_p_value", "sequential_pvalue")]
    [InlineData("outcome", "result")]
    [InlineData("tolerance", "srm_tolerance")]
    [InlineData("decision", "verdict")]
    public void Renaming_a_property_breaks_the_contract(string property, string renamed)
    {
        var json = JsonNode.Parse(Produce("failing").ToJson())!.AsObject();
        Assert.True(Rename(json, property, renamed), $"{property} not found");
        Assert.NotEmpty(VerdictContract.Errors(json.ToJsonString()));
    }

    private static bool Rename(JsonNode node, string property, string renamed)
    {
        switch (node)
        {
            case JsonObject o when o.ContainsKey(property):
                var value = o[property];
                o.Remove(property);
                o[renamed] = value;
                return true;
            case JsonObject o:
                return o.Select(kv => kv.Value).Where(v => v is not null).ToList().Any(v => Rename(v!, property, renamed));
            case JsonArray a:
                return a.Where(v => v is not null).ToList().Any(v => Rename(v!, property, renamed));
            default:
                return false;
        }
    }
}
