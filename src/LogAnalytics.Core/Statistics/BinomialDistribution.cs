using MathNet.Numerics;

namespace LogAnalytics.Statistics;

/// <summary>Binomial(n, p) cumulative distribution and its discrete quantile, as scipy.stats.binom.</summary>
internal static class BinomialDistribution
{
    /// <summary>P(B ≤ k) via the regularized incomplete beta function I₁₋ₚ(n − k, k + 1).</summary>
    public static double Cdf(long k, long n, double p)
    {
        if (k < 0)
        {
            return 0.0;
        }

        return k >= n ? 1.0 : SpecialFunctions.BetaRegularized(n - k, k + 1, 1.0 - p);
    }

    /// <summary>Smallest k in [0, n] with P(B ≤ k) ≥ <paramref name="probability"/> (scipy's binom.ppf).</summary>
    public static long Quantile(double probability, long n, double p)
    {
        long lo = 0, hi = n;
        while (lo < hi)
        {
            var mid = lo + ((hi - lo) / 2);
            if (Cdf(mid, n, p) >= probability)
            {
                hi = mid;
            }
            else
            {
                lo = mid + 1;
            }
        }

        return lo;
    }
}
