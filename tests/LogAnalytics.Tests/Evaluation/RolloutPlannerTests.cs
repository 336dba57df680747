using LogAnalytics.Evaluation;
using LogAnalytics.Evaluation.Planning;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;
using Xunit.Abstractions;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>The plan: the canary requests at which go becomes reachable, checked against what fresh simulated A/A
/// stages of that size actually do (not against the planner's own arithmetic): at the planned size the guardrail's
/// interval sits right at its margin, so about half of A/A stages pass; at twice the size nearly all do; at half the
/// size few do.</summary>
public sealed class RolloutPlannerTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ModelProfile Model = new("gpt-4.1", 800, 0.02, Sigma: 0.6);

    private static ExperimentDefinition Experiment(params string[] metrics) => ExperimentCatalog.Defaults("plan") with
    {
        MinSamples = 100,
        UsesDefaults = false,
        Guardrails = ExperimentCatalog.Defaults("plan").Guardrails.Where(g => metrics.Contains(g.Metric)).ToList(),
    };

    private static ExperimentSample Sample(double stage, int baseline, int canary, TimeSpan age, int seed, ModelProfile? canaryModel = null)
    {
        var random = new Random(seed);
        var b = new ModelTraffic(random, "legacy", (Model, 1.0));
        var c = new ModelTraffic(random, "holy_sheep", (canaryModel ?? Model, 1.0));
        b.Add(baseline);
        c.Add(canary);
        return new ExperimentSample
        {
            Experiment = "plan",
            AsOf = Start + age,
            Stage = new StageInfo(stage, Start, StageSource.Event),
            Baseline = b.Build(),
            Canary = c.Build(),
        };
    }

    [Theory]
    [InlineData(MetricNames.ErrorRate)]
    [InlineData(MetricNames.LatencyP95)]
    public void At_the_planned_size_about_half_of_AA_stages_pass_at_twice_it_nearly_all_at_half_it_few(string metric)
    {
        // Planned from a day of traffic observed at the 5 % stage, for the 25 % stage.
        var experiment = Experiment(metric);
        var observed = Sample(5, 19_000, 1_000, TimeSpan.FromHours(24), seed: 1);
        var plan = RolloutPlanner.CreateDefault().PlanStage(experiment, observed, 25);
        var needed = plan.Guardrails.Single().CanaryRequests!.Value;
        Assert.True(needed > experiment.MinSamples, $"planned {needed}: the test needs a plan above MinSamples");

        var evaluator = CheckedEvaluator.CreateDefault(everyVerdict: false);
        double PassRate(double factor, int runs, int seed)
        {
            var n = (int)Math.Round(needed * factor);
            var passed = 0;
            for (var r = 0; r < runs; r++)
            {
                var sample = Sample(25, n * 3, n, TimeSpan.FromDays(30), seed + r);
                passed += evaluator.Evaluate(experiment, sample, null).Checks.Single().Outcome == Outcomes.Pass ? 1 : 0;
            }
            return (double)passed / runs;
        }
        const int runs = 150;
        var (half, at, twice) = (PassRate(0.5, runs, 1000), PassRate(1, runs, 2000), PassRate(2, runs, 3000));
        output.WriteLine($"{metric}: planned {needed:N0} canary requests at 25 %; A/A pass rate at 0.5x {half:P0}, 1x {at:P0}, 2x {twice:P0}");
        Assert.InRange(at, 0.30, 0.70);
        Assert.True(twice >= 0.75, $"at twice the planned size only {twice:P0} passed");
        Assert.True(half <= 0.35, $"at half the planned size {half:P0} passed already");
    }

    [Fact]
    public void Hours_follow_the_observed_traffic_and_the_stage_weight_and_never_undercut_the_dwell()
    {
        var experiment = Experiment(MetricNames.ErrorRate, MetricNames.LatencyP50) with
        {
            MinDwell = [TimeSpan.FromHours(1), TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.Zero],
        };
        var observed = Sample(5, 19_000, 1_000, TimeSpan.FromHours(10), seed: 2); // 2,000 requests per hour

        var plans = RolloutPlanner.CreateDefault().Plan(experiment, observed);

        Assert.Equal([5.0, 25.0, 50.0], plans.Select(p => p.Stage).ToArray()); // 100 % has no baseline to compare with
        foreach (var stage in plans)
        {
            Assert.Equal(2_000 * stage.Stage / 100, stage.CanaryRequestsPerHour!.Value, 6);
            Assert.Equal(stage.Guardrails.Max(g => g.CanaryRequests), stage.CanaryRequests);
            foreach (var g in stage.Guardrails)
            {
                Assert.Equal(Math.Round(g.CanaryRequests!.Value / stage.CanaryRequestsPerHour.Value, 2), g.Hours!.Value, 6);
            }
            Assert.Equal(Math.Round(Math.Max(stage.DwellHours!.Value, stage.CanaryRequests!.Value / stage.CanaryRequestsPerHour.Value), 2), stage.Hours!.Value, 6);
        }
        // Per canary request, a larger stage needs more (its baseline shrinks), but it gets them faster.
        Assert.True(plans[2].CanaryRequests > plans[0].CanaryRequests);
        Assert.True(plans[2].Hours < plans[0].Hours);
    }

    [Fact]
    public void A_validation_rate_below_its_threshold_can_never_reach_go_and_the_plan_says_so()
    {
        var experiment = Experiment(MetricNames.ValidationMatchRate);
        var builder = new ValidationSampleBuilder();
        for (var i = 0; i < 1000; i++)
        {
            builder.Add(i % 100 >= 3, null, null, null, null); // 97 %
        }
        var observed = Sample(5, 19_000, 1_000, TimeSpan.FromHours(10), seed: 3) with { Validation = builder.Build() };

        var g = RolloutPlanner.CreateDefault().PlanStage(experiment, observed, 5).Guardrails.Single();

        Assert.Null(g.CanaryRequests);
        Assert.Contains("not above the 98.0 % threshold", g.Reason);
    }

    [Fact]
    public void A_waiting_verdict_carries_the_current_stages_plan_in_its_estimate()
    {
        var experiment = Experiment(MetricNames.ErrorRate, MetricNames.LatencyP99);
        var sample = Sample(5, 19_000, 1_000, TimeSpan.FromHours(10), seed: 4);

        var verdict = CheckedEvaluator.CreateDefault().Evaluate(experiment, sample, null);

        Assert.Equal(Decisions.Wait, verdict.Decision);
        LogAnalytics.Tests.Verdicts.VerdictContract.AssertValid(verdict); // estimate.plan is part of the published contract
        var plan = verdict.Estimate!.Plan!;
        Assert.Equal(5, plan.Stage);
        Assert.Equal(experiment.Guardrails.Select(g => g.Metric).ToArray(), plan.Guardrails.Select(g => g.Metric).ToArray());
        Assert.All(plan.Guardrails, g => Assert.True(g.CanaryRequests > sample.Canary.Requests, $"{g.Metric}: {g.CanaryRequests} {g.Reason}"));
        Assert.Equal(plan.Guardrails.Max(g => g.CanaryRequests), plan.CanaryRequests);
        // It agrees with loganalytics plan's (baseline against itself) within the noise of a 1,000-request canary.
        var command = RolloutPlanner.CreateDefault().PlanStage(experiment, sample, 5);
        foreach (var (v, c) in plan.Guardrails.Zip(command.Guardrails))
        {
            Assert.InRange((double)v.CanaryRequests!.Value / c.CanaryRequests!.Value, 0.5, 2.0);
        }
        var json = verdict.ToJson();
        Assert.Contains("\"estimate\":{\"additional_canary_samples\":", json);
        Assert.Contains("\"plan\":{\"stage\":5,\"canary_requests\":", json);
    }
}
