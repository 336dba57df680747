using LogAnalytics.Experiments;

namespace LogAnalytics.Evaluation;

/// <summary>
/// What a guardrail check measured, on its decision scale, before the sequential judgement: an asymptotically normal
/// estimate of how much worse the canary is (<see cref="Degradation"/>, positive = worse) with its variance.
/// Relative metrics use the log ratio ln(canary / baseline) (so margins of +10 % and −10 % are symmetric to the
/// test); absolute metrics use the difference canary − baseline.
/// </summary>
public sealed record GuardrailEstimate
{
    /// <summary>The guardrail.</summary>
    public required Guardrail Guardrail { get; init; }
    /// <summary>The baseline's value in its unit; null for a threshold metric (the canary is judged against
    /// <see cref="Guardrail.Threshold"/>, not against the baseline).</summary>
    public required double? Baseline { get; init; }
    /// <summary>The canary's value in its unit.</summary>
    public required double Canary { get; init; }
    /// <summary>How much worse the canary is on the decision scale (sign already oriented by direction).</summary>
    public required double Degradation { get; init; }
    /// <summary>The variance of <see cref="Degradation"/>.</summary>
    public required double Variance { get; init; }
    /// <summary>The fixed-horizon p-value of <see cref="Test"/> (reported for reference).</summary>
    public double? FixedHorizonPValue { get; init; }
    /// <summary>The named fixed-horizon test, e.g. <c>mann_whitney_u</c>.</summary>
    public required string Test { get; init; }
    /// <summary>Extra figures (counts by class, Hodges-Lehmann shift...).</summary>
    public IReadOnlyDictionary<string, double>? Details { get; init; }
    /// <summary>The mixture scale τ of the sequential test on the decision scale; null = the margin (the default).</summary>
    public double? MixtureScale { get; init; }
    /// <summary>When set, a pass is held back (inconclusive) for this reason: a further condition the metric puts on
    /// passing, such as the Wilson lower bound of validation_match_rate clearing its threshold.</summary>
    public string? PassHeldBecause { get; init; }
    /// <summary>When the requests carry <c>model</c>: which models the estimate compared within (a stratified estimate),
    /// or why it compared the pooled requests. Null when there was nothing to stratify.</summary>
    public ModelComparison? Models { get; init; }

    /// <summary>The margin on the decision scale: ln(1 + m) for relative lower-is-better, −ln(1 − m) for relative
    /// higher-is-better, m for absolute, 0 for a threshold metric (its degradation is threshold − value).</summary>
    public double DecisionMargin => Guardrail.Threshold is not null ? 0
        : Guardrail.Relative
        ? (Guardrail.HigherIsBetter ? -Math.Log(1 - Math.Min(Guardrail.Margin, 0.999)) : Math.Log(1 + Guardrail.Margin))
        : Guardrail.Margin;

    /// <summary>Maps a bound of <see cref="Degradation"/> back to the reported scale (relative change canary/baseline − 1,
    /// or the absolute difference canary − baseline).</summary>
    public double ToReportedScale(double degradation)
    {
        var signed = Guardrail.HigherIsBetter ? -degradation : degradation;
        return Guardrail.Relative ? Math.Exp(signed) - 1 : signed;
    }
}

/// <summary>A check that could not be computed (too few samples, no variance...): inconclusive with this reason.</summary>
/// <param name="Guardrail">The guardrail.</param>
/// <param name="Reason">Why, as a sentence.</param>
/// <param name="Baseline">The baseline's value when known.</param>
/// <param name="Canary">The canary's value when known.</param>
/// <param name="NoData">True when the experiment has none of the data the metric needs (no token counts or costs, no
/// validation events): an optional guardrail is then left out of the verdict rather than holding it.</param>
public sealed record NotComputable(Guardrail Guardrail, string Reason, double? Baseline = null, double? Canary = null, bool NoData = false);

/// <summary>What a check returns: an estimate, or why there is none.</summary>
public readonly record struct Measurement(GuardrailEstimate? Estimate, NotComputable? Missing)
{
    /// <summary>An estimate.</summary>
    public static implicit operator Measurement(GuardrailEstimate estimate) => new(estimate, null);

    /// <summary>No estimate, with the reason.</summary>
    public static implicit operator Measurement(NotComputable missing) => new(null, missing);
}
