namespace LogAnalytics.Verdicts;

/// <summary>Extension <c>strata</c>: the per-model comparison. Present when the window's requests carry at least two
/// models; null otherwise.</summary>
/// <param name="By">What the strata are: <c>model</c>.</param>
/// <param name="Models">Requests per model and side, most canary requests first (requests without a model appear as
/// <c>(no model)</c>).</param>
/// <param name="Checks">Per stratified guardrail: the models it was compared within, or why it compared the pooled requests.</param>
public sealed record VerdictStrata(string By, IReadOnlyList<StratumFigures> Models, IReadOnlyDictionary<string, StratifiedCheckFigures> Checks);

/// <summary>One model's requests on each side.</summary>
/// <param name="Model">The model as the events name it.</param>
/// <param name="Baseline">Its baseline requests in the window.</param>
/// <param name="Canary">Its canary requests in the window.</param>
public sealed record StratumFigures(string Model, long Baseline, long Canary);

/// <summary>How one guardrail used the strata.</summary>
/// <param name="Compared">The models it was compared within; empty when pooled.</param>
/// <param name="PooledBecause">Why it compared the pooled requests; null when stratified.</param>
public sealed record StratifiedCheckFigures(IReadOnlyList<string> Compared, string? PooledBecause);
