namespace LogAnalytics.Statistics;

/// <summary>
/// Pooled two-sided z-test for equal proportions: z = (p̂_c − p̂_b) / sqrt(p̄(1 − p̄)(1/n_b + 1/n_c)),
/// p̄ = (x_b + x_c)/(n_b + n_c), p = 2·P(Z &gt; |z|).
/// Equals <c>statsmodels.stats.proportion.proportions_ztest([x_canary, x_baseline], [n_canary, n_baseline])</c>;
/// the canary is the first sample so that z &gt; 0 means the canary's rate is higher (with the baseline first,
/// statsmodels reports −z and the same p).
/// No events on either side, or only events, gives z = 0 and p = 1 (no evidence), not NaN.
/// </summary>
internal static class TwoProportionZTest
{
    /// <summary>Tests p_canary = p_baseline.</summary>
    /// <param name="baselineEvents">Baseline events (errors).</param>
    /// <param name="baselineTotal">Baseline trials (requests).</param>
    /// <param name="canaryEvents">Canary events.</param>
    /// <param name="canaryTotal">Canary trials.</param>
    /// <returns>The test; not computable when either total is 0.</returns>
    public static TwoProportionZTestResult Test(long baselineEvents, long baselineTotal, long canaryEvents, long canaryTotal)
    {
        Guard.Counts(baselineEvents, baselineTotal, nameof(baselineEvents));
        Guard.Counts(canaryEvents, canaryTotal, nameof(canaryEvents));
        if (baselineTotal == 0 || canaryTotal == 0)
        {
            return new TwoProportionZTestResult(double.NaN, double.NaN, double.NaN, double.NaN,
                $"no requests: baseline {baselineTotal}, canary {canaryTotal}");
        }

        var pb = baselineEvents / (double)baselineTotal;
        var pc = canaryEvents / (double)canaryTotal;
        var pooled = (baselineEvents + canaryEvents) / (double)(baselineTotal + canaryTotal);
        var variance = pooled * (1.0 - pooled) * ((1.0 / baselineTotal) + (1.0 / canaryTotal));
        if (variance <= 0.0)
        {
            // Zero events everywhere, or events everywhere: both rates are equal by construction.
            return new TwoProportionZTestResult(pb, pc, 0.0, 1.0, null);
        }

        var z = (pc - pb) / Math.Sqrt(variance);
        return new TwoProportionZTestResult(pb, pc, z, StandardNormal.TwoSidedPValue(z), null);
    }
}

/// <summary>Result of <see cref="TwoProportionZTest.Test"/>.</summary>
/// <param name="BaselineRate">x_b / n_b.</param>
/// <param name="CanaryRate">x_c / n_c.</param>
/// <param name="Z">(p̂_c − p̂_b) / pooled SE; positive when the canary's rate is higher.</param>
/// <param name="PValue">Two-sided p-value.</param>
/// <param name="NotComputableReason">Why no test was possible, or null.</param>
internal readonly record struct TwoProportionZTestResult(
    double BaselineRate, double CanaryRate, double Z, double PValue, string? NotComputableReason)
{
    /// <summary>True when the test ran.</summary>
    public bool IsComputable => NotComputableReason is null;

    /// <summary>Canary rate minus baseline rate.</summary>
    public double Difference => CanaryRate - BaselineRate;
}
