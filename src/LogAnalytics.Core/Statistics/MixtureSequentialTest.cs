namespace LogAnalytics.Statistics;

/// <summary>
/// Always-valid inference by the mixture sequential probability ratio test (mSPRT) with a normal mixture
/// (Robbins 1970; Johari, Pekelis &amp; Walsh 2017/2022, "Always valid inference: continuous monitoring of A/B
/// tests"; Howard, Ramdas, McAuliffe &amp; Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
/// sequences", normal-mixture boundary).
/// <para>
/// Model: at every look an estimate θ̂ of the effect θ (difference of proportions, of quantiles, a log ratio …)
/// is approximately N(θ, V), with V shrinking as data accrue, and the increments are independent (θ̂/V behaves
/// like a Brownian motion in information time 1/V). Mixing the likelihood ratio of θ₀ + λ against θ₀ over
/// λ ~ N(0, τ²) gives the martingale
/// Λ = sqrt(V/(V+τ²))·exp(τ²(θ̂ − θ₀)² / (2V(V+τ²))).
/// By Ville's inequality P(Λ ever ≥ 1/α under H0) ≤ α, so p = min(1, 1/Λ) is valid at every look and stays
/// valid if you take the running minimum over looks (<see cref="AlwaysValidPValue"/>). Inverting Λ &lt; 1/α gives
/// the confidence sequence θ̂ ± sqrt(V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V))), valid simultaneously over all looks.
/// The guarantee is asymptotic (normal approximation, V estimated) and requires V to be the variance of θ̂.
/// </para>
/// <para>
/// One-sided (derived here; Howard et al. 2021 treat the same one-sided normal mixture): mixing only over
/// λ ≥ 0 with the half-normal density 2·N(0, τ²) gives, with d = θ̂ − θ₀ and u = d·τ/sqrt(V(V+τ²)),
/// Λ⁺ = 2Φ(u)·Λ, again a nonnegative martingale with mean 1 under θ = θ₀, increasing in d, so
/// p⁺ = min(1, 1/Λ⁺) is an always-valid p-value for H0: θ ≤ θ₀ against θ &gt; θ₀ (the least favourable null is
/// θ = θ₀). Because ln Λ⁺ = ln(2Φ(u)) + u²/2 − ½ln((V+τ²)/V), the one-sided confidence bound is
/// θ̂ ∓ u*·sqrt(V(V+τ²))/τ where u* solves ln(2Φ(u)) + u²/2 = ln(1/α) + ½ln((V+τ²)/V) (solved by bisection).
/// It is slightly tighter than the two-sided sequence at level 2α (which is not a valid one-sided α bound,
/// only a 2α one) and never wider than the two-sided sequence at α. For non-inferiority of the canary with a
/// margin δ (θ = canary − baseline, larger is worse): test H0: θ ≥ δ with
/// <see cref="AlternativeHypothesis.Less"/> and θ₀ = δ, i.e. declare non-inferior once the upper bound &lt; δ.
/// </para>
/// <para>
/// Choice of τ²: any fixed τ² gives a valid test; it sets where the boundary is tightest. The two-sided width
/// is smallest at the information where V = V* when τ²/V* = r solves r = 2 ln(1/α) + ln(1 + r)
/// (<see cref="MixtureVarianceTightAt"/>).
/// </para>
/// Reference values: plain numpy formulas (msprt.json) check the arithmetic only; validity is checked by an A/A
/// simulation in the tests.
/// </summary>
internal static class MixtureSequentialTest
{
    /// <summary>Two-sided always-valid test of H0: θ = θ₀ and the two-sided confidence sequence.</summary>
    /// <param name="estimate">θ̂ at this look.</param>
    /// <param name="variance">V, the variance of θ̂ at this look (&gt; 0).</param>
    /// <param name="nullValue">θ₀.</param>
    /// <param name="mixtureVariance">τ² (&gt; 0), fixed for the whole experiment.</param>
    /// <param name="alpha">Error rate over all looks; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    /// <returns>The test; not computable when V is not a positive finite number.</returns>
    public static SequentialTestResult TwoSided(
        double estimate, double variance, double nullValue, double mixtureVariance, double alpha = StatisticsDefaults.Alpha) =>
        Evaluate(estimate, variance, nullValue, mixtureVariance, AlternativeHypothesis.TwoSided, alpha);

    /// <summary>Always-valid test against the given alternative, with the matching confidence sequence.</summary>
    /// <param name="estimate">θ̂ at this look.</param>
    /// <param name="variance">V, the variance of θ̂ at this look (&gt; 0).</param>
    /// <param name="nullValue">θ₀ (for one-sided alternatives the boundary of the composite null).</param>
    /// <param name="mixtureVariance">τ² (&gt; 0), fixed for the whole experiment.</param>
    /// <param name="alternative">
    /// <see cref="AlternativeHypothesis.TwoSided"/>: interval [L, U]; <see cref="AlternativeHypothesis.Greater"/>
    /// (H0: θ ≤ θ₀): interval [L, +∞); <see cref="AlternativeHypothesis.Less"/> (H0: θ ≥ θ₀): interval (−∞, U].
    /// </param>
    /// <param name="alpha">Error rate over all looks; default <see cref="StatisticsDefaults.Alpha"/> (0.05).</param>
    /// <returns>The test; not computable when V is not a positive finite number.</returns>
    public static SequentialTestResult Evaluate(
        double estimate, double variance, double nullValue, double mixtureVariance, AlternativeHypothesis alternative,
        double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        if (!(mixtureVariance > 0.0) || !double.IsFinite(mixtureVariance))
        {
            throw new ArgumentOutOfRangeException(nameof(mixtureVariance), mixtureVariance, "τ² must be positive and finite.");
        }

        if (!double.IsFinite(estimate) || !double.IsFinite(nullValue))
        {
            throw new ArgumentException("estimate and null value must be finite.", nameof(estimate));
        }

        if (!(variance > 0.0) || !double.IsFinite(variance))
        {
            return new SequentialTestResult(estimate, variance, nullValue, mixtureVariance, alternative, alpha,
                double.NaN, double.NaN, ConfidenceInterval.Unbounded,
                $"variance of the estimate is {variance}; no evidence either way (e.g. no events yet)");
        }

        var d = estimate - nullValue;
        double logLr;
        ConfidenceInterval interval;
        switch (alternative)
        {
            case AlternativeHypothesis.TwoSided:
                logLr = LogLikelihoodRatio(d, variance, mixtureVariance);
                var half = TwoSidedHalfWidth(variance, mixtureVariance, alpha);
                interval = new ConfidenceInterval(estimate - half, estimate + half);
                break;
            case AlternativeHypothesis.Greater:
                logLr = OneSidedLogLikelihoodRatio(d, variance, mixtureVariance);
                interval = new ConfidenceInterval(estimate - OneSidedHalfWidth(variance, mixtureVariance, alpha), double.PositiveInfinity);
                break;
            case AlternativeHypothesis.Less:
                logLr = OneSidedLogLikelihoodRatio(-d, variance, mixtureVariance);
                interval = new ConfidenceInterval(double.NegativeInfinity, estimate + OneSidedHalfWidth(variance, mixtureVariance, alpha));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(alternative), alternative, null);
        }

        var p = Math.Min(1.0, Math.Exp(-logLr));
        return new SequentialTestResult(estimate, variance, nullValue, mixtureVariance, alternative, alpha, logLr, p, interval, null);
    }

    /// <summary>ln Λ = ½ ln(V/(V+τ²)) + τ²d²/(2V(V+τ²)), d = θ̂ − θ₀.</summary>
    public static double LogLikelihoodRatio(double difference, double variance, double mixtureVariance)
    {
        var sum = variance + mixtureVariance;
        return (0.5 * Math.Log(variance / sum)) + (mixtureVariance * difference * difference / (2.0 * variance * sum));
    }

    /// <summary>ln Λ⁺ = ln 2 + ln Φ(u) + ln Λ, u = d·τ/sqrt(V(V+τ²)) (half-normal mixture over λ ≥ 0).</summary>
    public static double OneSidedLogLikelihoodRatio(double difference, double variance, double mixtureVariance)
    {
        var sum = variance + mixtureVariance;
        var u = difference * Math.Sqrt(mixtureVariance / (variance * sum));
        // ln Λ = ½ ln(V/(V+τ²)) + u²/2; ln Φ(u) + u²/2 is formed without cancellation (far below the null, Φ(u) underflows).
        return Math.Log(2.0) + (0.5 * Math.Log(variance / sum)) + LogCdfPlusHalfSquare(u);
    }

    /// <summary>ln Φ(u) + u²/2, accurate for very negative u (Mills-ratio expansion below −30).</summary>
    internal static double LogCdfPlusHalfSquare(double u)
    {
        if (u > -30)
        {
            return Math.Log(StandardNormal.Cdf(u)) + (0.5 * u * u);
        }
        var inv2 = 1.0 / (u * u);
        return -Math.Log(-u) - (0.5 * Math.Log(2 * Math.PI)) + Math.Log(1 - inv2 + (3 * inv2 * inv2));
    }

    /// <summary>Half-width sqrt(V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V))) of the two-sided confidence sequence.</summary>
    public static double TwoSidedHalfWidth(double variance, double mixtureVariance, double alpha)
    {
        var sum = variance + mixtureVariance;
        return Math.Sqrt(variance * sum / mixtureVariance * ((2.0 * Math.Log(1.0 / alpha)) + Math.Log(sum / variance)));
    }

    /// <summary>Distance from θ̂ to the one-sided bound at level α: u*·sqrt(V(V+τ²))/τ (see the class remarks).</summary>
    public static double OneSidedHalfWidth(double variance, double mixtureVariance, double alpha)
    {
        var sum = variance + mixtureVariance;
        var target = Math.Log(1.0 / alpha) + (0.5 * Math.Log(sum / variance));
        // g(u) = ln(2Φ(u)) + u²/2 is increasing; 0 ≤ ln(2Φ(u)) ≤ ln 2 brackets the root.
        var lo = Math.Sqrt(2.0 * Math.Max(0.0, target - Math.Log(2.0)));
        var hi = Math.Sqrt(2.0 * target);
        for (var i = 0; i < 200 && lo < hi; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi)
            {
                break;
            }

            if (Math.Log(2.0 * StandardNormal.Cdf(mid)) + (0.5 * mid * mid) >= target)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }

        return hi * Math.Sqrt(variance * sum / mixtureVariance);
    }

    /// <summary>
    /// τ² that makes the two-sided sequence narrowest when the variance of the estimate is
    /// <paramref name="targetVariance"/>: τ² = r·V*, r the fixed point of r = 2 ln(1/α) + ln(1 + r) (Howard et al.
    /// 2021 give the one-step approximation r ≈ 2 ln(1/α) + ln(1 + 2 ln(1/α))). Pick V* as the variance expected
    /// at the look where a decision matters most (e.g. the planned end of the stage).
    /// </summary>
    public static double MixtureVarianceTightAt(double targetVariance, double alpha = StatisticsDefaults.Alpha)
    {
        Guard.Alpha(alpha);
        if (!(targetVariance > 0.0) || !double.IsFinite(targetVariance))
        {
            throw new ArgumentOutOfRangeException(nameof(targetVariance), targetVariance, "target variance must be positive.");
        }

        var twoLog = 2.0 * Math.Log(1.0 / alpha);
        var r = twoLog;
        for (var i = 0; i < 100; i++)
        {
            var next = twoLog + Math.Log(1.0 + r);
            if (Math.Abs(next - r) <= 1e-15 * next)
            {
                r = next;
                break;
            }

            r = next;
        }

        return r * targetVariance;
    }
}

/// <summary>
/// One-sided always-valid test with a discrete mixture over several mixture scales τₖ (equal weights): the average of
/// the half-normal mixture martingales Λ⁺ₖ of <see cref="MixtureSequentialTest"/> is again a nonnegative martingale with
/// mean 1 under θ = θ₀ (a convex combination of test martingales), so p = min(1, 1/Σwₖ Λ⁺ₖ) keeps its level at every
/// look while being close to the best single τ for effects from a fraction of the margin to many times it (the price
/// is at most ln K in ln Λ). The bound is found by bisection: the d* with Σwₖ Λ⁺ₖ(d*) = 1/α.
/// </summary>
internal static class AdaptiveMixture
{
    /// <summary>The scales mixed, as multiples of the base scale (the margin): ½, 1, 2, 4, 8.</summary>
    public static readonly double[] ScaleMultiples = [0.5, 1, 2, 4, 8];

    /// <summary>ln of the mixture Σwₖ Λ⁺ₖ at distance <paramref name="difference"/> = θ̂ − θ₀ in the tested direction.</summary>
    public static double LogLikelihoodRatio(double difference, double variance, double baseScale)
    {
        var max = double.NegativeInfinity;
        Span<double> terms = stackalloc double[ScaleMultiples.Length];
        for (var k = 0; k < ScaleMultiples.Length; k++)
        {
            var tau = baseScale * ScaleMultiples[k];
            terms[k] = MixtureSequentialTest.OneSidedLogLikelihoodRatio(difference, variance, tau * tau);
            max = Math.Max(max, terms[k]);
        }
        var sum = 0.0;
        foreach (var t in terms)
        {
            sum += Math.Exp(t - max);
        }
        return max + Math.Log(sum / ScaleMultiples.Length);
    }

    /// <summary>p = min(1, 1/Λ) for H0: θ ≤ θ₀ against θ &gt; θ₀, with d = θ̂ − θ₀.</summary>
    public static double PValue(double difference, double variance, double baseScale) =>
        Math.Min(1.0, Math.Exp(-LogLikelihoodRatio(difference, variance, baseScale)));

    /// <summary>The distance d* from θ̂ to the one-sided bound at level α (lower bound θ̂ − d*, upper bound θ̂ + d*).</summary>
    public static double HalfWidth(double variance, double baseScale, double alpha)
    {
        var target = Math.Log(1.0 / alpha);
        double lo = 0, hi = Math.Sqrt(variance);
        while (LogLikelihoodRatio(hi, variance, baseScale) < target)
        {
            hi *= 2;
        }
        for (var i = 0; i < 100; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (LogLikelihoodRatio(mid, variance, baseScale) >= target)
            {
                hi = mid;
            }
            else
            {
                lo = mid;
            }
        }
        return hi;
    }
}

/// <summary>Alternative hypothesis of a sequential test.</summary>
internal enum AlternativeHypothesis
{
    /// <summary>θ ≠ θ₀.</summary>
    TwoSided,

    /// <summary>θ &gt; θ₀ (null: θ ≤ θ₀).</summary>
    Greater,

    /// <summary>θ &lt; θ₀ (null: θ ≥ θ₀).</summary>
    Less,
}

/// <summary>One look of <see cref="MixtureSequentialTest"/>.</summary>
/// <param name="Estimate">θ̂.</param>
/// <param name="Variance">V.</param>
/// <param name="NullValue">θ₀.</param>
/// <param name="MixtureVariance">τ².</param>
/// <param name="Alternative">Alternative tested.</param>
/// <param name="Alpha">Error rate over all looks.</param>
/// <param name="LogLikelihoodRatio">ln Λ (or ln Λ⁺ one-sided); kept in logs because Λ overflows.</param>
/// <param name="PValue">min(1, 1/Λ) at this look; combine looks with <see cref="AlwaysValidPValue"/>.</param>
/// <param name="ConfidenceSequence">Interval valid simultaneously over all looks (one bound infinite if one-sided).</param>
/// <param name="NotComputableReason">Why nothing could be said at this look, or null.</param>
internal readonly record struct SequentialTestResult(
    double Estimate, double Variance, double NullValue, double MixtureVariance, AlternativeHypothesis Alternative,
    double Alpha, double LogLikelihoodRatio, double PValue, ConfidenceInterval ConfidenceSequence, string? NotComputableReason)
{
    /// <summary>True when this look produced a test.</summary>
    public bool IsComputable => NotComputableReason is null;

    /// <summary>True when H0 is rejected at this look (p ≤ α).</summary>
    public bool Rejects => IsComputable && PValue <= Alpha;
}

/// <summary>
/// Running always-valid p-value: the minimum of the per-look mSPRT p-values so far (Johari et al. 2017, the
/// always-valid p-value is the running minimum of 1/Λ). Immutable; start from <see cref="Initial"/>.
/// </summary>
/// <param name="Value">min over looks of the p-value, 1 before any look.</param>
/// <param name="Looks">Number of looks that produced a p-value.</param>
internal readonly record struct AlwaysValidPValue(double Value, int Looks)
{
    /// <summary>Before the first look: p = 1, no looks.</summary>
    public static AlwaysValidPValue Initial => new(1.0, 0);

    /// <summary>The running value after one more look; a look that was not computable leaves it unchanged.</summary>
    public AlwaysValidPValue Observe(SequentialTestResult look) =>
        look.IsComputable ? Observe(look.PValue) : this;

    /// <summary>The running value after a look with p-value <paramref name="pValue"/>.</summary>
    public AlwaysValidPValue Observe(double pValue)
    {
        if (double.IsNaN(pValue) || pValue < 0.0 || pValue > 1.0)
        {
            throw new ArgumentOutOfRangeException(nameof(pValue), pValue, "p-value must lie in [0, 1].");
        }

        return new AlwaysValidPValue(Math.Min(Value, pValue), Looks + 1);
    }

    /// <summary>True once the running p-value is at most <paramref name="alpha"/>.</summary>
    public bool Rejects(double alpha) => Value <= alpha;
}
