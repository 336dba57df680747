using MathNet.Numerics;

namespace LogAnalytics.Statistics;

/// <summary>
/// Standard normal distribution functions written with <c>erfc</c> so that tail probabilities keep their
/// relative precision (1 − Φ(z) is never formed by subtraction).
/// </summary>
internal static class StandardNormal
{
    private static readonly double Sqrt2 = Math.Sqrt(2.0);

    /// <summary>Φ(z) = P(Z ≤ z).</summary>
    public static double Cdf(double z) => 0.5 * SpecialFunctions.Erfc(-z / Sqrt2);

    /// <summary>Survival function 1 − Φ(z) = P(Z &gt; z), accurate in the far upper tail.</summary>
    public static double Sf(double z) => 0.5 * SpecialFunctions.Erfc(z / Sqrt2);

    /// <summary>Two-sided p-value 2·P(Z &gt; |z|), at most 1.</summary>
    public static double TwoSidedPValue(double z) => Math.Min(1.0, 2.0 * Sf(Math.Abs(z)));

    /// <summary>Quantile Φ⁻¹(p) for 0 &lt; p &lt; 1.</summary>
    public static double Quantile(double p) => -Sqrt2 * SpecialFunctions.ErfcInv(2.0 * p);

    /// <summary>Critical value z with P(Z &gt; z) = <paramref name="alpha"/>/2 (1.959964 for alpha = 0.05).</summary>
    public static double TwoSidedCritical(double alpha) => Sqrt2 * SpecialFunctions.ErfcInv(alpha);
}
