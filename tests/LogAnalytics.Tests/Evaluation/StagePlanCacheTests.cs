using System.Text.Json;
using LogAnalytics.Evaluation;
using LogAnalytics.Evaluation.Planning;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Tests.Verdicts;
using LogAnalytics.Verdicts;
using Xunit.Abstractions;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>The verdict's <c>estimate.plan</c> is remembered per experiment (<see cref="StagePlanCache"/>): an evaluator
/// kept across evaluations, as the worker keeps it, reuses the plan while the stage, the settings and the traffic the
/// plan depends on stay within 10 %, and plans afresh otherwise; a reused plan is the fresh one retimed.</summary>
public sealed class StagePlanCacheTests(ITestOutputHelper output)
{
    private static readonly DateTimeOffset Start = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly ModelProfile Model = new("gpt-4.1", 800, 0.02, Sigma: 0.6);

    private static readonly ExperimentDefinition Experiment = Guarded(MetricNames.ErrorRate, MetricNames.LatencyP99);

    private static ExperimentDefinition Guarded(params string[] metrics) => ExperimentCatalog.Defaults("cache") with
    {
        MinSamples = 100,
        UsesDefaults = false,
        Guardrails = ExperimentCatalog.Defaults("cache").Guardrails.Where(g => metrics.Contains(g.Metric)).ToList(),
    };

    /// <summary>One experiment's traffic growing look by look (seeded).</summary>
    private sealed class Traffic(int seed, ModelProfile? profile = null)
    {
        private readonly Random _random = new(seed);
        private ModelTraffic? _baseline;
        private ModelTraffic? _canary;

        public void Grow(int baseline, int canary)
        {
            _baseline ??= new ModelTraffic(_random, "legacy", (profile ?? Model, 1.0));
            _canary ??= new ModelTraffic(_random, "holy_sheep", (profile ?? Model, 1.0));
            _baseline.Add(baseline);
            _canary.Add(canary);
        }

        public ExperimentSample Sample(double hours, double stage = 5, DateTimeOffset? stageStart = null) => new()
        {
            Experiment = "cache",
            AsOf = Start.AddHours(hours),
            Stage = new StageInfo(stage, stageStart ?? Start, StageSource.Event),
            Baseline = _baseline!.Build(),
            Canary = _canary!.Build(),
        };
    }

    private static StagePlan Plan(Verdict verdict)
    {
        Assert.Equal(Decisions.Wait, verdict.Decision);
        VerdictContract.AssertValid(verdict);
        Assert.True(verdict.Estimate?.Plan is not null, string.Join(" / ", verdict.Reasons));
        return verdict.Estimate!.Plan!;
    }

    private static string Json(StagePlan plan) => JsonSerializer.Serialize(plan, Verdict.JsonOptions);

    /// <summary>The plan an evaluator that never saw the experiment makes (as every evaluation did before plans were remembered).</summary>
    private static StagePlan Fresh(ExperimentDefinition experiment, ExperimentSample sample) =>
        Plan(ExperimentEvaluator.CreateDefault().Evaluate(experiment, sample, null));

    [Fact]
    public void A_kept_evaluator_reuses_the_plan_while_the_traffic_stays_within_ten_percent_and_plans_afresh_beyond()
    {
        // The median latency: its variance moves smoothly with the traffic (a small canary's p99 or error rate moves with
        // each request in its tail or each error, and is planned afresh when it moved: below).
        var experiment = Guarded(MetricNames.LatencyP50);
        var evaluator = ExperimentEvaluator.CreateDefault();
        var traffic = new Traffic(seed: 5);
        traffic.Grow(19_000, 1_000);
        var first = Plan(evaluator.Evaluate(experiment, traffic.Sample(hours: 10), null));
        Assert.Equal((1L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.All(first.Guardrails, g => Assert.NotNull(g.CanaryRequests));

        // The next evaluation an hour later with no new traffic: reused, its rate and hours follow the clock, and it is
        // exactly the plan made afresh.
        var later = traffic.Sample(hours: 11);
        var reused = Plan(evaluator.Evaluate(experiment, later, null));
        Assert.Equal((1L, 1L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.Equal(Json(Fresh(experiment, later)), Json(reused));
        Assert.True(reused.CanaryRequestsPerHour < first.CanaryRequestsPerHour, $"{reused.CanaryRequestsPerHour} per hour after {first.CanaryRequestsPerHour}: not retimed");

        // 5 % more traffic: still reused, so the counts are the first plan's; a fresh plan differs from them by about as
        // much as its inputs moved.
        traffic.Grow(950, 50);
        var grown = traffic.Sample(hours: 10.5);
        var kept = Plan(evaluator.Evaluate(experiment, grown, null));
        Assert.Equal((1L, 2L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.Equal(first.Guardrails.Select(g => g.CanaryRequests), kept.Guardrails.Select(g => g.CanaryRequests));
        var fresh = Fresh(experiment, grown);
        foreach (var (k, f) in kept.Guardrails.Zip(fresh.Guardrails))
        {
            var ratio = (double)k.CanaryRequests!.Value / f.CanaryRequests!.Value;
            output.WriteLine($"{k.Metric}: reused {k.CanaryRequests:N0}, fresh {f.CanaryRequests:N0} ({ratio:F3}x)");
            Assert.InRange(ratio, 0.85, 1.15);
        }

        // 25 % more than when planned: planned afresh, and exactly the fresh plan.
        traffic.Grow(3_800, 200);
        var grownMore = traffic.Sample(hours: 12.5);
        var replanned = Plan(evaluator.Evaluate(experiment, grownMore, null));
        Assert.Equal((2L, 2L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.Equal(Json(Fresh(experiment, grownMore)), Json(replanned));
    }

    [Fact]
    public void A_new_stage_new_settings_or_another_experiment_are_planned_afresh()
    {
        var evaluator = ExperimentEvaluator.CreateDefault();
        var traffic = new Traffic(seed: 6);
        traffic.Grow(19_000, 1_000);
        Plan(evaluator.Evaluate(Experiment, traffic.Sample(hours: 10), null));

        // The 25 % stage, announced at 9 h, with its own traffic.
        traffic = new Traffic(seed: 16);
        traffic.Grow(3_000, 1_000);
        var nextStage = traffic.Sample(hours: 10, stage: 25, stageStart: Start.AddHours(9));
        var staged = Plan(evaluator.Evaluate(Experiment, nextStage, null));
        Assert.Equal((2L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.Equal(25, staged.Stage);
        Assert.Equal(Json(Fresh(Experiment, nextStage)), Json(staged));

        // The same stage re-announced later: a new start, a new plan.
        var reannounced = traffic.Sample(hours: 10, stage: 25, stageStart: Start.AddHours(9.5));
        Assert.Equal(Json(Fresh(Experiment, reannounced)), Json(Plan(evaluator.Evaluate(Experiment, reannounced, null))));
        Assert.Equal((3L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));

        // A stricter alpha needs more requests: planned afresh.
        var strict = Experiment with { Alpha = Experiment.Alpha / 5 };
        var strictPlan = Plan(evaluator.Evaluate(strict, reannounced, null));
        Assert.Equal((4L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Assert.Equal(Json(Fresh(strict, reannounced)), Json(strictPlan));
        Assert.True(strictPlan.CanaryRequests > staged.CanaryRequests, $"alpha/5 planned {strictPlan.CanaryRequests}, alpha {staged.CanaryRequests}");

        // Plans are remembered per experiment: another one on the same traffic gets its own.
        var other = strict with { Id = "cache-other" };
        Plan(evaluator.Evaluate(other, reannounced, null));
        Assert.Equal((5L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
        Plan(evaluator.Evaluate(strict, reannounced, null));
        Assert.Equal((5L, 1L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
    }

    [Fact]
    public void The_same_traffic_with_an_error_rate_whose_variance_moved_beyond_ten_percent_is_planned_afresh()
    {
        var evaluator = ExperimentEvaluator.CreateDefault();
        var experiment = Guarded(MetricNames.ErrorRate);
        var one = new Traffic(seed: 8);
        one.Grow(19_000, 1_000);
        var other = new Traffic(seed: 9, Model with { ErrorRate = 0.03 });
        other.Grow(19_000, 1_000); // the same request counts, half as many errors again
        var (first, second) = (one.Sample(hours: 10), other.Sample(hours: 10));
        var (freshFirst, freshSecond) = (Fresh(experiment, first).CanaryRequests!.Value, Fresh(experiment, second).CanaryRequests!.Value);
        output.WriteLine($"error_rate planned afresh: {freshFirst:N0} and {freshSecond:N0} canary requests");
        Assert.True(Math.Abs(freshSecond - freshFirst) > 0.1 * Math.Max(freshFirst, freshSecond), "the test needs samples whose plans differ by more than 10 %");

        Assert.Equal(freshFirst, Plan(evaluator.Evaluate(experiment, first, null)).CanaryRequests);
        Assert.Equal(freshSecond, Plan(evaluator.Evaluate(experiment, second, null)).CanaryRequests);
        Assert.Equal((2L, 0L), (evaluator.Plans.Computed, evaluator.Plans.Reused));
    }

    [Fact]
    public void A_plan_retimed_on_the_sample_it_was_made_from_is_that_plan()
    {
        var traffic = new Traffic(seed: 7);
        traffic.Grow(19_000, 1_000);
        var experiment = Experiment with { MinDwell = [TimeSpan.FromHours(30), TimeSpan.FromHours(2), TimeSpan.FromHours(3), TimeSpan.Zero] };
        foreach (var hours in new[] { 0.0, 3, 10 }) // no time span yet; a rate; the dwell (30 h) longer than the requests need
        {
            var sample = traffic.Sample(hours);
            var plan = RolloutPlanner.CreateDefault().PlanStage(experiment, sample, 5, null);
            Assert.Equal(Json(plan), Json(RolloutPlanner.Retime(plan, experiment, sample)));
        }
    }
}
