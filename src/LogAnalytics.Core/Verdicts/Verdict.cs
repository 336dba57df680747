using System.Text.Json;
using System.Text.Json.Serialization;

namespace LogAnalytics.Verdicts;

/// <summary>The decision for the next canary stage.</summary>
public static class Decisions
{
    /// <summary>Move to the next stage.</summary>
    public const string Go = "go";
    /// <summary>Roll back: the canary is worse than its margin (or misconfigured).</summary>
    public const string NoGo = "no_go";
    /// <summary>Not yet: too little data, dwell not met, a broken split, or a guardrail still inconclusive.</summary>
    public const string Wait = "wait";
}

/// <summary>The outcome of one guardrail check.</summary>
public static class Outcomes
{
    /// <summary>The canary is no worse than the margin, with sequential confidence.</summary>
    public const string Pass = "pass";
    /// <summary>The canary is worse than the margin, with sequential confidence.</summary>
    public const string Fail = "fail";
    /// <summary>Not enough evidence either way yet.</summary>
    public const string Inconclusive = "inconclusive";
}

/// <summary>The verdict contract <c>loganalytics.verdict/v1</c>: one JSON object per experiment, published to
/// <c>Kafka:VerdictTopic</c> keyed by experiment and stored in the <c>verdicts</c> table.</summary>
public sealed record Verdict
{
    /// <summary>The schema id of this contract.</summary>
    public const string SchemaId = "loganalytics.verdict/v1";

    /// <summary>Always <see cref="SchemaId"/>.</summary>
    public string Schema { get; init; } = SchemaId;
    /// <summary>The experiment id.</summary>
    public required string Experiment { get; init; }
    /// <summary><c>go</c>, <c>no_go</c> or <c>wait</c>.</summary>
    public required string Decision { get; init; }
    /// <summary>The current stage's canary weight in percent.</summary>
    public required double CurrentStage { get; init; }
    /// <summary>The next stage in percent; null after the last.</summary>
    public double? NextStage { get; init; }
    /// <summary>When the verdict was computed (the as-of time).</summary>
    public required DateTimeOffset EvaluatedAt { get; init; }
    /// <summary>The evaluation window: from the current stage's start to <see cref="EvaluatedAt"/>.</summary>
    public required VerdictWindow Window { get; init; }
    /// <summary>Requests per side in the window.</summary>
    public required VerdictSamples Samples { get; init; }
    /// <summary>Sample-ratio check of the split.</summary>
    public required SrmCheck Srm { get; init; }
    /// <summary>One check per guardrail metric.</summary>
    public required IReadOnlyList<MetricCheck> Checks { get; init; }
    /// <summary>Why, in sentences a release engineer understands.</summary>
    public required IReadOnlyList<string> Reasons { get; init; }
    /// <summary>Extension: stage details (source, start, dwell).</summary>
    public StageDetails? Stage { get; init; }
    /// <summary>Extension: the endpoints on each side.</summary>
    public VerdictEndpoints? Endpoints { get; init; }
    /// <summary>Extension: for <c>wait</c>, an estimate of what is still needed.</summary>
    public WaitEstimate? Estimate { get; init; }
    /// <summary>Extension: true when the experiment is not configured and default settings were used.</summary>
    public bool DefaultsUsed { get; init; }
    /// <summary>Extension: cost per request, tokens, unpriced requests and the monthly projection; null when no request
    /// reports a cost or token counts.</summary>
    public VerdictCost? Cost { get; init; }
    /// <summary>Extension: the canary's shadow-validation match rates and similarity; null without validation events.</summary>
    public VerdictValidation? Validation { get; init; }
    /// <summary>Extension: failed requests by error class on each side.</summary>
    public VerdictErrors? Errors { get; init; }
    /// <summary>Extension: requests per model and side, and which models each latency / error guardrail was compared
    /// within; null when the requests carry fewer than two models.</summary>
    public VerdictStrata? Strata { get; init; }

    /// <summary>The running minimum p-values per guardrail (and <c>srm</c>) after this look: stored in
    /// <c>guardrail_states</c>, not part of the published JSON.</summary>
    [JsonIgnore]
    public IReadOnlyList<Evaluation.GuardrailMemory>? Memory { get; init; }

    /// <summary>Serializer settings of the contract: snake_case names, nulls written.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The verdict as one line of JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>Reads a verdict written by <see cref="ToJson"/>.</summary>
    public static Verdict? FromJson(string json) => JsonSerializer.Deserialize<Verdict>(json, JsonOptions);
}

/// <summary>The evaluation window.</summary>
public sealed record VerdictWindow(DateTimeOffset From, DateTimeOffset To);

/// <summary>Requests per side.</summary>
public sealed record VerdictSamples(long Baseline, long Canary);

/// <summary>Sample ratio mismatch: the sequential multinomial test (Lindon &amp; Malek 2022) of the observed split against
/// the stage weight, valid however often it is checked, with a practical tolerance.</summary>
/// <param name="ExpectedShare">The canary share the stage announces (0..1).</param>
/// <param name="ObservedShare">The canary share observed; null without requests.</param>
/// <param name="PValue">The always-valid p-value (running minimum over the stage's looks of 1/Bayes factor); null when
/// not testable (no requests, or a 0 % / 100 % stage).</param>
/// <param name="Ok">False when p ≤ 0.001 and the observed share is off the weight by more than
/// <see cref="Tolerance"/> (relative): the split is broken and the comparison cannot be trusted.</param>
public sealed record SrmCheck(double ExpectedShare, double? ObservedShare, double? PValue, bool Ok)
{
    /// <summary>Extension: the test behind <see cref="PValue"/>, <c>sequential_multinomial</c>.</summary>
    public string Test { get; init; } = "sequential_multinomial";
    /// <summary>Extension: the relative tolerance (<c>SrmTolerance</c>, default 0.1) within which a real mismatch does not block.</summary>
    public double? Tolerance { get; init; }
    /// <summary>Extension: observed / expected share − 1; null without requests.</summary>
    public double? RelativeDeviation { get; init; }
}

/// <summary>One guardrail's check.</summary>
public sealed record MetricCheck
{
    /// <summary>The metric name (latency_p50, latency_p95, latency_p99, latency_distribution, error_rate, ...).</summary>
    public required string Metric { get; init; }
    /// <summary>The baseline's value (ms for latency, a share for rates).</summary>
    public double? Baseline { get; init; }
    /// <summary>The canary's value.</summary>
    public double? Canary { get; init; }
    /// <summary>canary / baseline − 1; null when the baseline is 0 or missing.</summary>
    public double? RelativeChange { get; init; }
    /// <summary>Lower bound of the always-valid (sequential) confidence interval of the difference, on the margin's scale.</summary>
    public double? CiLow { get; init; }
    /// <summary>Upper bound of that interval.</summary>
    public double? CiHigh { get; init; }
    /// <summary>The non-inferiority margin, on the same scale as the interval.</summary>
    public required double Margin { get; init; }
    /// <summary><c>relative</c> (the interval and margin are relative changes) or <c>absolute</c> (differences).</summary>
    public required string Scale { get; init; }
    /// <summary>Extension: for a threshold metric (validation_match_rate), the rate the canary must be shown to exceed;
    /// the interval is then of (rate − threshold) and the margin is 0. Null for the other metrics.</summary>
    public double? Threshold { get; init; }
    /// <summary>The fixed-horizon p-value of the named test, for reference (not what the decision uses).</summary>
    public double? PValue { get; init; }
    /// <summary>The always-valid p-value for "worse than the margin" after Holm across guardrails: what fail uses.</summary>
    public double? SequentialPValue { get; init; }
    /// <summary>The test behind <see cref="PValue"/>.</summary>
    public required string Test { get; init; }
    /// <summary><c>pass</c>, <c>fail</c> or <c>inconclusive</c>.</summary>
    public required string Outcome { get; init; }
    /// <summary>One sentence on this metric.</summary>
    public required string Reason { get; init; }
    /// <summary>Extra figures of the metric (e.g. error counts by class, Hodges-Lehmann shift).</summary>
    public IReadOnlyDictionary<string, double>? Details { get; init; }
}

/// <summary>Where the stage came from and how long it has run.</summary>
public sealed record StageDetails(DateTimeOffset StartedAt, string Source, double DwellRequiredHours, double DwellElapsedHours);

/// <summary>The endpoints on each side.</summary>
public sealed record VerdictEndpoints(IReadOnlyList<string> Baseline, IReadOnlyList<string> Canary);

/// <summary>For <c>wait</c>: roughly how many more canary requests and how much more time a decision needs.</summary>
public sealed record WaitEstimate(long? AdditionalCanarySamples, double? AdditionalHours)
{
    /// <summary>Extension: the current stage's plan (as <c>loganalytics plan</c> prints it): the canary requests and hours
    /// from the stage's start each guardrail needs before go is reachable, if the canary performs like the baseline.</summary>
    public StagePlan? Plan { get; init; }
}
