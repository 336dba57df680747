namespace LogAnalytics.Statistics;

/// <summary>
/// The Farrington–Manning (1990) restricted maximum-likelihood rates for a difference of two proportions under the
/// null boundary p₁ − p₂ = δ: the rates that maximise the binomial likelihood of the data among all pairs with that
/// difference (the closed form of Farrington &amp; Manning 1990). Its variance
/// p̃₁(1 − p̃₁)/n₁ + p̃₂(1 − p̃₂)/n₂ is the variance of p̂₁ − p̂₂ exactly where a non-inferiority test decides, so a
/// sample that happens to show few failures cannot make its own interval narrow.
/// Reference values: the restricted MLE found numerically (bisection of the score equation at 50 digits with mpmath,
/// farrington_manning.json), independent of the closed form.
/// </summary>
internal static class FarringtonManning
{
    /// <summary>The restricted rates (p̃₁, p̃₂) with p̃₁ − p̃₂ = <paramref name="delta"/>.</summary>
    /// <param name="x1">Events in group 1 (the canary).</param>
    /// <param name="n1">Trials in group 1 (&gt; 0).</param>
    /// <param name="x2">Events in group 2 (the baseline).</param>
    /// <param name="n2">Trials in group 2 (&gt; 0).</param>
    /// <param name="delta">The difference p₁ − p₂ at the null boundary, in (−1, 1).</param>
    public static (double P1, double P2) RestrictedRates(long x1, long n1, long x2, long n2, double delta)
    {
        Guard.Counts(x1, n1, nameof(x1));
        Guard.Counts(x2, n2, nameof(x2));
        if (n1 == 0 || n2 == 0)
        {
            throw new ArgumentException("both groups need at least one trial.", nameof(n1));
        }
        if (!(delta > -1 && delta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(delta), delta, "δ must lie in (−1, 1).");
        }
        // Farrington & Manning (1990), eq. for the difference: with θ = n₂/n₁, p̃₁ is the root in range of
        // a·p³ + b·p² + c·p + d = 0 (solved in trigonometric form), and p̃₂ = p̃₁ − δ.
        double p1Hat = (double)x1 / n1, p2Hat = (double)x2 / n2, theta = (double)n2 / n1;
        var a = 1 + theta;
        var b = -(1 + theta + p1Hat + (theta * p2Hat) + (delta * (theta + 2)));
        var c = (delta * delta) + (delta * ((2 * p1Hat) + theta + 1)) + p1Hat + (theta * p2Hat);
        var d = -p1Hat * delta * (1 + delta);
        var v = (Math.Pow(b, 3) / (27 * Math.Pow(a, 3))) - (b * c / (6 * a * a)) + (d / (2 * a));
        var radicand = (b * b / (9 * a * a)) - (c / (3 * a));
        double p1;
        if (radicand <= 0)
        {
            p1 = -b / (3 * a);
        }
        else
        {
            var u = (v < 0 ? -1 : 1) * Math.Sqrt(radicand);
            var w = (Math.PI + Math.Acos(Math.Clamp(v / (u * u * u), -1.0, 1.0))) / 3;
            p1 = (2 * u * Math.Cos(w)) - (b / (3 * a));
        }
        var p2 = p1 - delta;
        // The root lies in [max(0, −δ), min(1, 1 − δ)]; clamp away rounding.
        p2 = Math.Clamp(p2, Math.Max(0, -delta), Math.Min(1, 1 - delta));
        return (p2 + delta, p2);
    }

    /// <summary>The score statistic z = (p̂₁ − p̂₂ − δ)/sqrt(p̃₁(1 − p̃₁)/n₁ + p̃₂(1 − p̃₂)/n₂) (no n/(n−1) factor).</summary>
    public static double ScoreZ(long x1, long n1, long x2, long n2, double delta)
    {
        var (p1, p2) = RestrictedRates(x1, n1, x2, n2, delta);
        var variance = (p1 * (1 - p1) / n1) + (p2 * (1 - p2) / n2);
        return (((double)x1 / n1) - ((double)x2 / n2) - delta) / Math.Sqrt(variance);
    }
}
