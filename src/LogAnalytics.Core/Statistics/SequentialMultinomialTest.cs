using MathNet.Numerics;

namespace LogAnalytics.Statistics;

/// <summary>
/// Sequential test of a multinomial split (Lindon &amp; Malek 2022, "Anytime-valid inference for multinomial count data",
/// the sequential sample-ratio-mismatch test): under H0 the counts follow the announced probabilities θ₀; against a
/// Dirichlet(α) mixture of alternatives the Bayes factor
/// BF = Γ(Σα)/Γ(Σα + n) · Π Γ(αᵢ + xᵢ)/Γ(αᵢ) / Π θ₀ᵢ^xᵢ
/// is a nonnegative martingale with mean 1 under H0, so p = min(1, 1/BF), and its running minimum over looks, is valid
/// however often the split is checked (Ville's inequality). Computed in logs (log-gamma), so 10⁸ requests are fine.
/// Reference values: the same closed form with scipy.special.gammaln / mpmath (dirichlet_multinomial.json).
/// </summary>
internal static class SequentialMultinomialTest
{
    /// <summary>ln BF of <paramref name="counts"/> against <paramref name="nullProbabilities"/> with the Dirichlet
    /// prior <paramref name="prior"/> (every αᵢ &gt; 0).</summary>
    public static double LogBayesFactor(IReadOnlyList<long> counts, IReadOnlyList<double> nullProbabilities, IReadOnlyList<double> prior)
    {
        if (counts.Count != nullProbabilities.Count || counts.Count != prior.Count || counts.Count < 2)
        {
            throw new ArgumentException("counts, null probabilities and prior need the same length (at least 2).", nameof(counts));
        }
        double n = 0, sumPrior = 0, logBf = 0;
        for (var i = 0; i < counts.Count; i++)
        {
            if (counts[i] < 0 || !(prior[i] > 0) || !(nullProbabilities[i] > 0 && nullProbabilities[i] < 1))
            {
                throw new ArgumentOutOfRangeException(nameof(counts), "counts must be >= 0, priors > 0 and null probabilities in (0, 1).");
            }
            n += counts[i];
            sumPrior += prior[i];
            logBf += SpecialFunctions.GammaLn(prior[i] + counts[i]) - SpecialFunctions.GammaLn(prior[i]) - (counts[i] * Math.Log(nullProbabilities[i]));
        }
        return logBf + SpecialFunctions.GammaLn(sumPrior) - SpecialFunctions.GammaLn(sumPrior + n);
    }

    /// <summary>p = min(1, 1/BF) at this look.</summary>
    public static double PValue(IReadOnlyList<long> counts, IReadOnlyList<double> nullProbabilities, IReadOnlyList<double> prior) =>
        Math.Min(1.0, Math.Exp(-LogBayesFactor(counts, nullProbabilities, prior)));
}
