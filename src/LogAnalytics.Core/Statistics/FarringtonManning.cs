namespace LogAnalytics.Statistics;

/// <summary>
/// The Farrington–Manning (1990) restricted maximum-likelihood rates for a difference of two proportions under the
/// null boundary p₁ − p₂ = δ: the rates that maximise the binomial likelihood of the data among all pairs with that
/// difference (closed form of Miettinen &amp; Nurminen 1985, as statsmodels' <c>_score_diff</c>). Its variance
/// p̃₁(1 − p̃₁)/n₁ + p̃₂(1 − p̃₂)/n₂ is the variance of p̂₁ − p̂₂ exactly where a non-inferiority test decides, so a
/// sample that happens to show few failures cannot make its own interval narrow.
/// Reference values: statsmodels <c>test_proportions_2indep(method="score", compare="diff", correction=False)</c>
/// (farrington_manning.json).
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
        double nt = n1 + n2, rt = x1 + x2;
        var l3 = nt;
        var l2 = ((n1 + (2.0 * n2)) * delta) - nt - rt;
        var l1 = (((x1 * delta) - nt - (2.0 * x2)) * delta) + rt;
        var l0 = x2 * delta * (1 - delta);
        var q = (Math.Pow(l2, 3) / Math.Pow(3 * l3, 3)) - (l1 * l2 / (6 * l3 * l3)) + (l0 / (2 * l3));
        var radicand = (l2 * l2 / Math.Pow(3 * l3, 2)) - (l1 / (3 * l3));
        double p2;
        if (radicand <= 0)
        {
            p2 = -l2 / (3 * l3);
        }
        else
        {
            var p = Math.Sign(q) * Math.Sqrt(radicand);
            var cos = p == 0 ? 0 : Math.Clamp(q / (p * p * p), -1.0, 1.0);
            var a = (Math.PI + Math.Acos(cos)) / 3;
            p2 = (2 * p * Math.Cos(a)) - (l2 / (3 * l3));
        }
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
