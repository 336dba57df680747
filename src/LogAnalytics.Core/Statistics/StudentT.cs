using MathNet.Numerics;

namespace LogAnalytics.Statistics;

/// <summary>
/// Student t tail probability and critical value, written with the regularized incomplete beta function so that
/// both are accurate to near machine precision (MathNet's StudentT.InvCDF is only good to about 1e-9).
/// </summary>
internal static class StudentT
{
    /// <summary>Two-sided tail P(|T_ν| &gt; |t|) = I_{ν/(ν+t²)}(ν/2, 1/2).</summary>
    public static double TwoSidedPValue(double t, double degreesOfFreedom) =>
        SpecialFunctions.BetaRegularized(degreesOfFreedom / 2.0, 0.5, degreesOfFreedom / (degreesOfFreedom + (t * t)));

    /// <summary>Critical value t &gt; 0 with P(|T_ν| &gt; t) = <paramref name="alpha"/>, by bisection to the last bit.</summary>
    public static double TwoSidedCritical(double alpha, double degreesOfFreedom)
    {
        Guard.Alpha(alpha);
        // The tail is decreasing in t; the normal critical value is a lower bound (t tails are heavier).
        var lo = 0.0;
        var hi = Math.Max(1.0, StandardNormal.TwoSidedCritical(alpha));
        while (TwoSidedPValue(hi, degreesOfFreedom) > alpha)
        {
            lo = hi;
            hi *= 2.0;
        }

        for (var i = 0; i < 2000; i++)
        {
            var mid = 0.5 * (lo + hi);
            if (mid <= lo || mid >= hi)
            {
                break;
            }

            if (TwoSidedPValue(mid, degreesOfFreedom) > alpha)
            {
                lo = mid;
            }
            else
            {
                hi = mid;
            }
        }

        return 0.5 * (lo + hi);
    }
}
