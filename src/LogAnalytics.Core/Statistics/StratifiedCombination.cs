namespace LogAnalytics.Statistics;

/// <summary>One stratum's estimate with its variance and its (unnormalised) weight.</summary>
/// <param name="Estimate">The stratum's effect.</param>
/// <param name="Variance">Its variance.</param>
/// <param name="Weight">Its weight (≥ 0); normalised by the sum.</param>
internal readonly record struct StratumEstimate(double Estimate, double Variance, double Weight);

/// <summary>
/// The stratified estimate of an effect from independent strata: θ = Σ w_k θ_k / Σ w_k with
/// Var θ = Σ w_k² V_k / (Σ w_k)². With w_k = 1/V_k it is the fixed-effect (inverse-variance) combination, equal to
/// <c>statsmodels.stats.meta_analysis.combine_effects(θ, V).mean_effect_fe / var_fe</c>; with the Mantel–Haenszel
/// weights n_b·n_c/(n_b + n_c) of <see cref="MantelHaenszel.Weight"/> the weights do not depend on the estimates, so the
/// combination stays unbiased when a stratum's variance is itself estimated from few requests (Greenland &amp; Robins
/// 1985), and a canary whose strata mix differs from the baseline's is compared within strata only.
/// </summary>
internal static class StratifiedCombination
{
    /// <summary>Combines the strata.</summary>
    /// <exception cref="ArgumentException">No strata, a negative or non-finite weight or variance, or all weights 0.</exception>
    public static (double Estimate, double Variance) Combine(IReadOnlyList<StratumEstimate> strata)
    {
        if (strata.Count == 0)
        {
            throw new ArgumentException("at least one stratum is needed", nameof(strata));
        }
        double total = 0, estimate = 0, variance = 0;
        foreach (var s in strata)
        {
            if (!double.IsFinite(s.Estimate) || !double.IsFinite(s.Variance) || s.Variance < 0 || !double.IsFinite(s.Weight) || s.Weight < 0)
            {
                throw new ArgumentException($"a stratum needs a finite estimate, variance >= 0 and weight >= 0 (got {s})", nameof(strata));
            }
            total += s.Weight;
            estimate += s.Weight * s.Estimate;
            variance += s.Weight * s.Weight * s.Variance;
        }
        if (total <= 0)
        {
            throw new ArgumentException("the weights sum to 0", nameof(strata));
        }
        return (estimate / total, variance / (total * total));
    }

    /// <summary>Inverse-variance (fixed-effect) weights: 1/V_k.</summary>
    public static IReadOnlyList<StratumEstimate> InverseVariance(IEnumerable<(double Estimate, double Variance)> strata) =>
        strata.Select(s => new StratumEstimate(s.Estimate, s.Variance, 1 / s.Variance)).ToList();
}
