using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>A guardrail after the sequential judgement.</summary>
/// <param name="Check">The check as published.</param>
/// <param name="Estimate">The estimate behind it, when computable.</param>
/// <param name="Radius">Half-width of the always-valid interval on the decision scale.</param>
public sealed record JudgedGuardrail(MetricCheck Check, GuardrailEstimate? Estimate, double? Radius)
{
    /// <summary>The guardrail's running minimum p-values after this look (what the next look continues); null when not judged
    /// by <see cref="SequentialJudge"/>.</summary>
    public GuardrailMemory? Memory { get; init; }
}

/// <summary>What the policy remembers of the previous verdict of the same experiment (for no flapping).</summary>
/// <param name="Decision">The previous decision.</param>
/// <param name="StageStartedAt">The start of the stage it was made in.</param>
/// <param name="DecidedAt">When that decision was first reached in this stage.</param>
/// <param name="Reason">Its first reason.</param>
public sealed record PreviousDecision(string Decision, DateTimeOffset StageStartedAt, DateTimeOffset DecidedAt, string Reason)
{
    /// <summary>When go was first reached in this stage (kept through a later <c>wait</c> for a broken split); null if never.</summary>
    public DateTimeOffset? GoSince { get; init; }

    /// <summary>Per guardrail (and <c>srm</c>), the running minimum p-values of this stage so far; empty when none.</summary>
    public IReadOnlyDictionary<string, GuardrailMemory> Guardrails { get; init; } = new Dictionary<string, GuardrailMemory>(StringComparer.Ordinal);
}

/// <summary>
/// The decision policy (pure): guard clauses first (no data is never a pass), then configuration mistakes, guardrail
/// failures, the split, and only then go. A no_go stays no_go for the stage until a new stage is announced; a go stays
/// go unless a guardrail fails or the split breaks.
/// </summary>
public static class VerdictPolicy
{
    /// <summary>Share of canary requests failing with auth (401/403) or bad request / model not found (400/404) at
    /// which the canary is called misconfigured (with at least <see cref="ConfigurationMistakeMinCount"/> of them).</summary>
    public const double ConfigurationMistakeShare = 0.05;

    /// <summary>The fewest auth / bad-request errors that count as a burst.</summary>
    public const int ConfigurationMistakeMinCount = 20;

    /// <summary>Decides.</summary>
    public static (string Decision, List<string> Reasons, WaitEstimate? Estimate) Decide(
        ExperimentDefinition experiment, ExperimentSample sample, SrmCheck srm, IReadOnlyList<JudgedGuardrail> checks, PreviousDecision? previous)
    {
        var (decision, reasons, estimate) = DecideCore(experiment, sample, srm, checks, previous);
        if (experiment.UsesDefaults)
        {
            reasons.Add($"Experiment \"{experiment.Id}\" is not in configuration; default settings were used (stages 5/25/50/100 %, dwell 48 h / 7 d / 48 h, alpha 0.05, default margins).");
        }
        return (decision, reasons, estimate);
    }

    private static (string Decision, List<string> Reasons, WaitEstimate? Estimate) DecideCore(
        ExperimentDefinition experiment, ExperimentSample sample, SrmCheck srm, IReadOnlyList<JudgedGuardrail> checks, PreviousDecision? previous)
    {
        var reasons = new List<string>();
        var stage = ExperimentCatalog.Percent(sample.Stage.WeightPercent);
        var sameStage = previous is not null && previous.StageStartedAt == sample.Stage.StartedAt;

        // 1. A no_go holds for the whole stage: rollback is not undone by later data.
        if (sameStage && previous!.Decision == Decisions.NoGo)
        {
            reasons.Insert(0, $"no_go since {previous.DecidedAt:u} at the {stage} stage: {previous.Reason} It holds until rollout tooling announces a new stage.");
            return (Decisions.NoGo, reasons, null);
        }

        // 2. No data is never a pass.
        if (sample.Baseline.Requests == 0 && sample.Canary.Requests == 0)
        {
            reasons.Insert(0, sample.Unassigned > 0
                ? $"Cannot tell baseline from canary: {sample.Unassigned:N0} requests from {string.Join(", ", sample.UnassignedEndpoints)} carry no variant and the experiment's endpoints are not configured (set Experiments:Items:N:BaselineEndpoint and CanaryEndpoint, or have the router send variant)."
                : $"No requests for this experiment since the {stage} stage began at {sample.Stage.StartedAt:u}; nothing to judge.");
            return (Decisions.Wait, reasons, null);
        }
        if (sample.Canary.Requests == 0)
        {
            reasons.Insert(0, $"No canary requests since the {stage} stage began at {sample.Stage.StartedAt:u}{EndpointHint(experiment.CanaryEndpoint)}; no data is never a pass.");
            return (Decisions.Wait, reasons, null);
        }
        if (sample.Baseline.Requests == 0)
        {
            reasons.Insert(0, sample.Stage.WeightPercent >= 100
                ? "The rollout is at 100 %: there is no baseline traffic left to compare with."
                : $"No baseline requests since the {stage} stage began{EndpointHint(experiment.BaselineEndpoint)}; nothing to compare the canary with.");
            return (Decisions.Wait, reasons, null);
        }
        if (sample.Unassigned > 0)
        {
            reasons.Add($"{sample.Unassigned:N0} requests from {string.Join(", ", sample.UnassignedEndpoints)} could not be put on either side and were left out.");
        }

        // 3. A configuration mistake on the canary is not a performance result: no_go at once.
        var mistake = ConfigurationMistake(sample);
        if (mistake is not null)
        {
            reasons.Insert(0, mistake);
            return (Decisions.NoGo, reasons, null);
        }

        // 4. A guardrail beyond its margin with sequential confidence: no_go (may fire early), before the split: a canary whose
        //    failures push traffic away (failover, circuit breakers) breaks the split, and that must not hide the failure.
        var failed = checks.Where(c => c.Check.Outcome == Outcomes.Fail).ToList();
        if (failed.Count > 0)
        {
            reasons.InsertRange(0, failed.Select(f => f.Check.Reason));
            return (Decisions.NoGo, reasons, null);
        }

        // 5. A broken split makes every comparison suspect: wait, never go (but a go reached before is not forgotten).
        if (!srm.Ok)
        {
            reasons.Insert(0, string.Create(CultureInfo.InvariantCulture,
                $"The traffic split is broken (sample ratio mismatch): the canary got {srm.ObservedShare:P2} of requests but the stage says {srm.ExpectedShare:P2} (sequential SRM p = {srm.PValue:G3} ≤ 0.001, beyond the {srm.Tolerance:P0} tolerance). Fix the router's split before trusting any comparison."));
            return (Decisions.Wait, reasons, null);
        }

        // 6. Go needs dwell, samples and every guardrail within its margin.
        var dwellRequired = experiment.DwellFor(sample.Stage.WeightPercent);
        var dwellElapsed = sample.AsOf - sample.Stage.StartedAt;
        var dwellMet = dwellElapsed >= dwellRequired;
        var minSamples = Math.Min(sample.Baseline.Requests, sample.Canary.Requests);
        var samplesMet = minSamples >= experiment.MinSamples;
        var allPass = checks.Count > 0 && checks.All(c => c.Check.Outcome == Outcomes.Pass);
        var next = experiment.NextStage(sample.Stage.WeightPercent);
        var target = next is null ? "hold at the last stage" : $"move to {ExperimentCatalog.Percent(next.Value)}";
        if (dwellMet && samplesMet && allPass)
        {
            reasons.Insert(0, string.Create(CultureInfo.InvariantCulture,
                $"All {checks.Count} guardrails are within their margins with {1 - experiment.Alpha:P0} sequential confidence, the split matches the stage, {sample.Canary.Requests:N0} canary and {sample.Baseline.Requests:N0} baseline requests, and the {stage} stage has run {Hours(dwellElapsed)} (minimum {Hours(dwellRequired)}): {target}."));
            return (Decisions.Go, reasons, null);
        }
        if (sameStage && (previous!.Decision == Decisions.Go || previous.GoSince is not null))
        {
            reasons.Insert(0, $"Stays go (reached {previous.GoSince ?? previous.DecidedAt:u}): no guardrail has failed and the split is sound; {target}.");
            return (Decisions.Go, reasons, null);
        }

        // 7. Otherwise wait, saying what is missing and roughly how long.
        if (!dwellMet)
        {
            reasons.Add($"The {stage} stage has run {Hours(dwellElapsed)} of its minimum {Hours(dwellRequired)}.");
        }
        if (!samplesMet)
        {
            reasons.Add(string.Create(CultureInfo.InvariantCulture,
                $"Too few requests to go: {sample.Canary.Requests:N0} canary and {sample.Baseline.Requests:N0} baseline, {experiment.MinSamples:N0} needed on each side."));
        }
        foreach (var c in checks.Where(c => c.Check.Outcome == Outcomes.Inconclusive))
        {
            reasons.Add(c.Check.Reason);
        }
        var estimate = EstimateRemaining(experiment, sample, checks, dwellRequired - dwellElapsed);
        return (Decisions.Wait, reasons, estimate);
    }

    private static string? ConfigurationMistake(ExperimentSample sample)
    {
        static long Count(ArmSample arm, string cls) => arm.ErrorsByClass.GetValueOrDefault(cls);
        foreach (var (cls, what) in new[] { ("auth", "authentication errors (401/403): check the canary's API key and its permissions"),
                                            ("bad_request", "bad-request / model-not-found errors (400/404): check the model alias the canary is called with") })
        {
            var canary = Count(sample.Canary, cls);
            var canaryShare = (double)canary / sample.Canary.Requests;
            var baselineShare = sample.Baseline.Requests == 0 ? 0 : (double)Count(sample.Baseline, cls) / sample.Baseline.Requests;
            if (canary >= ConfigurationMistakeMinCount && canaryShare >= ConfigurationMistakeShare && canaryShare > 5 * baselineShare)
            {
                return string.Create(CultureInfo.InvariantCulture,
                    $"The canary is misconfigured, not slow: {canary:N0} of its {sample.Canary.Requests:N0} requests ({canaryShare:P1}) failed with {what}. Baseline: {baselineShare:P2}.");
            }
        }
        return null;
    }

    /// <summary>Rough extra canary samples so that every inconclusive guardrail's interval clears its margin, assuming
    /// the estimate stays where it is and the variance falls as 1/n; and the time at the observed canary rate.</summary>
    private static WaitEstimate EstimateRemaining(ExperimentDefinition experiment, ExperimentSample sample, IReadOnlyList<JudgedGuardrail> checks, TimeSpan dwellRemaining)
    {
        long? extra = Math.Max(0, experiment.MinSamples - Math.Min(sample.Baseline.Requests, sample.Canary.Requests));
        foreach (var c in checks.Where(c => c.Check.Outcome == Outcomes.Inconclusive))
        {
            if (c.Estimate is not { } e || c.Radius is not { } radius || radius <= 0)
            {
                continue;
            }
            var gap = Math.Abs(e.DecisionMargin - e.Degradation);
            if (gap < 1e-9)
            {
                extra = null; // right on the margin: no amount of data decides soon
                break;
            }
            // radius ~ c / sqrt(n) (ignoring the slowly growing log term): n' = n (radius / gap)^2
            var factor = Math.Pow(radius / gap, 2);
            var needed = (long)Math.Ceiling(sample.Canary.Requests * (factor - 1));
            extra = extra is null ? null : Math.Max(extra.Value, needed);
        }
        double? hours = null;
        var windowHours = (sample.AsOf - sample.Stage.StartedAt).TotalHours;
        if (extra is { } n && windowHours > 0 && sample.Canary.Requests > 0)
        {
            hours = Math.Max(n / (sample.Canary.Requests / windowHours), Math.Max(0, dwellRemaining.TotalHours));
        }
        else if (dwellRemaining > TimeSpan.Zero)
        {
            hours = dwellRemaining.TotalHours;
        }
        return new WaitEstimate(extra, hours is null ? null : Math.Round(hours.Value, 2));
    }

    private static string EndpointHint(string? endpoint) => endpoint is null ? "" : $" (endpoint {endpoint})";

    internal static string Hours(TimeSpan t) => t.TotalHours >= 48
        ? t.TotalDays.ToString("0.#", CultureInfo.InvariantCulture) + " d"
        : t.TotalHours >= 1 ? t.TotalHours.ToString("0.#", CultureInfo.InvariantCulture) + " h"
        : t.TotalMinutes >= 1 ? t.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min"
        : Math.Max(0, t.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + " s";
}
