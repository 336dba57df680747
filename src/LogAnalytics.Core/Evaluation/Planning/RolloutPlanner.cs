using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation.Planning;

/// <summary>
/// How many canary requests and hours each stage needs before <c>go</c> is reachable, from the traffic observed so far
/// (pure). The plan assumes the canary performs exactly like the baseline — the best case: a canary that is worse, even
/// within its margin, needs more.
/// <list type="number">
/// <item><c>loganalytics plan</c> measures each guardrail's check on the baseline against itself: its variance V₀ on n_b
/// requests per side gives the per-request variance σ² = V₀·n_b/2, precise even while the canary has few requests (a
/// percentile that needs more canary requests than there are is still planned on day one). The verdict's
/// <c>estimate.plan</c> reuses the estimates the verdict measured instead (no second pass over the data), σ² =
/// V₀/(1/n_b + 1/n_c), and measures the baseline against itself only for a guardrail it could not measure; the two agree
/// as the canary grows, the verdict's being noisier while the canary is small. A threshold metric
/// (validation_match_rate) is measured on the canary's own events, its variance scaled with the canary's requests, and
/// planned at the rate observed (a rate below its threshold never reaches go).</item>
/// <item>At a stage with canary weight w, n_c canary requests come with n_c(1−w)/w baseline requests, so
/// V(n_c) = σ²(1/n_b + 1/n_c) = σ²/(n_c(1 − w)).</item>
/// <item>The smallest n_c for which <see cref="SequentialJudge.Judge(IReadOnlyList{Measurement}, double)"/> — the judge the verdicts use, so the plan follows
/// its formulas — calls the guardrail <c>pass</c> with no degradation and that variance (bisection; the always-valid
/// interval narrows as V falls), and at least MinSamples on each side.</item>
/// <item>Hours: n_c / (the observed requests per hour × w), and at least the stage's dwell.</item>
/// </list>
/// </summary>
public sealed class RolloutPlanner(IEnumerable<IGuardrailCheck> checks)
{
    /// <summary>Beyond this many canary requests a guardrail is called unreachable.</summary>
    public const long MaxCanaryRequests = 1_000_000_000_000;

    private readonly Dictionary<string, IGuardrailCheck> _checks = checks.ToDictionary(c => c.Metric, StringComparer.Ordinal);

    /// <summary>A planner with the checks the verdicts use (<see cref="ExperimentEvaluator.CreateDefault"/>).</summary>
    public static RolloutPlanner CreateDefault() => new(ModelStratifiedCheck.WrapAll(GuardrailChecks.All()));

    /// <summary>The current stage's plan for the verdict's <c>estimate</c>; null at a stage without a baseline.</summary>
    internal StagePlan? PlanCurrentStage(ExperimentDefinition experiment, ExperimentSample sample, IReadOnlyDictionary<string, GuardrailEstimate> measured) =>
        HasPlan(sample) ? PlanStage(experiment, sample, sample.Stage.WeightPercent, measured) : null;

    /// <summary>Whether the current stage has a plan: it has a baseline left and a canary (weight strictly between 0 and 100 %).</summary>
    internal static bool HasPlan(ExperimentSample sample) => sample.Stage.WeightPercent is > 0 and < 100;

    /// <summary>The verdict's estimates by metric (the first per metric), as <see cref="PlanStage"/> takes them.</summary>
    internal static IReadOnlyDictionary<string, GuardrailEstimate> Measured(IReadOnlyList<JudgedGuardrail> judged) =>
        judged.Where(j => j.Estimate is not null).GroupBy(j => j.Check.Metric).ToDictionary(g => g.Key, g => g.First().Estimate!, StringComparer.Ordinal);

    /// <summary>The canary's requests per hour at a stage of weight <paramref name="w"/> (0..1), from the traffic observed
    /// since the stage started; null without a time span or traffic to measure it.</summary>
    private static double? CanaryPerHour(ExperimentSample sample, double w)
    {
        var windowHours = (sample.AsOf - sample.Stage.StartedAt).TotalHours;
        var total = sample.Baseline.Requests + sample.Canary.Requests;
        double? perHour = windowHours > 0 && total > 0 ? total / windowHours : null;
        return perHour * w;
    }

    private static double? StageHours(long? needed, double dwell, double? canaryPerHour) =>
        needed is { } k && canaryPerHour is { } r ? Math.Max(dwell, k / r) : null;

    /// <summary><paramref name="plan"/> (of the same experiment and stage) with the figures that follow the traffic rate
    /// (canary requests per hour, hours) recomputed from <paramref name="sample"/>; the request counts stay. Cheap: no
    /// check runs. A plan retimed on the sample it was made from is that plan.</summary>
    internal static StagePlan Retime(StagePlan plan, ExperimentDefinition experiment, ExperimentSample sample)
    {
        var canaryPerHour = CanaryPerHour(sample, plan.Stage / 100);
        var dwell = experiment.DwellFor(plan.Stage).TotalHours;
        return plan with
        {
            Hours = Round(StageHours(plan.CanaryRequests, dwell, canaryPerHour)),
            CanaryRequestsPerHour = Round(canaryPerHour),
            Guardrails = plan.Guardrails.Select(g => g.CanaryRequests is { } n ? g with { Hours = Round(n / canaryPerHour) } : g).ToList(),
        };
    }

    /// <summary>The plan of every stage that has a baseline left (weight below 100 %).</summary>
    public IReadOnlyList<StagePlan> Plan(ExperimentDefinition experiment, ExperimentSample sample) =>
        experiment.Stages.Where(s => s < 100).Select(s => PlanStage(experiment, sample, s)).ToList();

    /// <summary>The plan of one stage (canary weight in percent, below 100).</summary>
    /// <param name="experiment">The experiment.</param>
    /// <param name="sample">The traffic observed.</param>
    /// <param name="stagePercent">The stage.</param>
    /// <param name="measured">The estimates already measured on <paramref name="sample"/> by metric (the verdict's), or
    /// null to measure them here.</param>
    public StagePlan PlanStage(ExperimentDefinition experiment, ExperimentSample sample, double stagePercent, IReadOnlyDictionary<string, GuardrailEstimate>? measured = null)
    {
        var w = stagePercent / 100;
        var canaryPerHour = CanaryPerHour(sample, w);
        var dwell = experiment.DwellFor(stagePercent).TotalHours;
        var minCanary = (long)Math.Ceiling(Math.Max(experiment.MinSamples, experiment.MinSamples * w / (1 - w)));
        var guardrails = new List<GuardrailPlan>();
        foreach (var guardrail in experiment.Guardrails)
        {
            var plan = PlanGuardrail(experiment, sample, guardrail, w, minCanary, canaryPerHour, measured);
            if (plan is not null)
            {
                guardrails.Add(plan);
            }
        }
        long? needed = guardrails.Count == 0 ? null : minCanary;
        foreach (var g in guardrails)
        {
            needed = needed is { } n && g.CanaryRequests is { } m ? Math.Max(n, m) : null;
        }
        return new StagePlan(stagePercent, needed, Round(StageHours(needed, dwell, canaryPerHour)), Round(dwell), Round(canaryPerHour), guardrails);
    }

    private GuardrailPlan? PlanGuardrail(ExperimentDefinition experiment, ExperimentSample sample, Guardrail guardrail, double w, long minCanary, double? canaryPerHour,
        IReadOnlyDictionary<string, GuardrailEstimate>? measured)
    {
        if (!_checks.TryGetValue(guardrail.Metric, out var check))
        {
            return new GuardrailPlan(guardrail.Metric, null, null, $"{guardrail.Metric}: no such metric in this version.");
        }
        var threshold = guardrail.Threshold is not null;
        if (threshold ? sample.Canary.Requests == 0 : sample.Baseline.Requests == 0)
        {
            return new GuardrailPlan(guardrail.Metric, null, null, $"no {(threshold ? "canary" : "baseline")} requests observed yet to estimate its variance from.");
        }
        static bool Usable(GuardrailEstimate? e) => e is not null && e.Variance > 0 && double.IsFinite(e.Variance) && double.IsFinite(e.Degradation);
        // Without the verdict's estimates (loganalytics plan), measure the baseline against itself: a precise variance
        // even while the canary has few requests. With them (the verdict's estimate), reuse them: no second pass over the data.
        var onSample = measured is null ? default
            : measured.TryGetValue(guardrail.Metric, out var given) ? new Measurement(given, null)
            : default;
        if (threshold && onSample.Estimate is null && onSample.Missing is null)
        {
            onSample = check.Measure(sample, guardrail);
        }
        var self = !threshold && !Usable(onSample.Estimate);
        var measurement = self ? check.Measure(sample with { Canary = sample.Baseline }, guardrail) : onSample;
        if (measurement.Estimate is not { } e)
        {
            var missing = measurement.Missing ?? new NotComputable(guardrail, $"{guardrail.Metric}: no canary requests yet.");
            return missing is { NoData: true, Guardrail.Optional: true }
                ? null // left out of the verdicts too
                : new GuardrailPlan(guardrail.Metric, null, null, $"cannot estimate yet: {missing.Reason}");
        }
        if (!Usable(e))
        {
            return new GuardrailPlan(guardrail.Metric, null, null, "the data show no variation to estimate from yet.");
        }
        // Variance as a function of the canary's requests at this stage.
        Func<double, double> variance;
        double degradation;
        if (threshold)
        {
            var scale = e.Variance * sample.Canary.Requests;
            variance = n => scale / n;
            degradation = e.Degradation;
        }
        else
        {
            var sigma2 = self
                ? e.Variance * sample.Baseline.Requests / 2
                : e.Variance / (1.0 / sample.Baseline.Requests + 1.0 / sample.Canary.Requests);
            variance = n => sigma2 / (n * (1 - w));
            degradation = 0;
        }
        bool Passes(double n) =>
            SequentialJudge.Judge([e with { Degradation = degradation, Variance = variance(n), PassHeldBecause = null }], experiment.Alpha)[0].Check.Outcome == Outcomes.Pass;
        if (!Passes(MaxCanaryRequests))
        {
            return new GuardrailPlan(guardrail.Metric, null, null, threshold
                ? string.Create(CultureInfo.InvariantCulture, $"the observed rate {e.Canary:P2} is not above the {guardrail.Threshold:P1} threshold; no amount of traffic reaches go.")
                : "its margin is too small for any amount of traffic to reach go.");
        }
        long lo = 0, hi = MaxCanaryRequests;
        while (hi - lo > 1)
        {
            var mid = lo + (hi - lo) / 2;
            if (Passes(mid))
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }
        var needed = Math.Max(hi, minCanary);
        return new GuardrailPlan(guardrail.Metric, needed, Round(needed / canaryPerHour), null);
    }

    private static double? Round(double? v) => v is { } x && double.IsFinite(x) ? Math.Round(x, 2) : null;
}
