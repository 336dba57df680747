namespace LogAnalytics.Evaluation;

/// <summary>
/// The measurement resolution of a sample: the smallest positive gap between two of its distinct values (the bucket
/// width of bucketed latencies, the price step of flat prices). Used as a floor under standard errors, so tied or
/// capped data (every value equal on a side) never give a variance of 0 and a check that can neither fail nor pass:
/// a value known to a resolution h is uncertain by at least h/√12 (the standard deviation of rounding).
/// </summary>
internal static class Resolution
{
    /// <summary>Smallest positive gap of <paramref name="values"/> (sorted ascending when <paramref name="sorted"/>);
    /// null when all values are equal.</summary>
    public static double? Of(IReadOnlyList<double> values, bool sorted)
    {
        IReadOnlyList<double> v = sorted ? values : values.Order().ToArray();
        double? best = null;
        for (var i = 1; i < v.Count; i++)
        {
            var gap = v[i] - v[i - 1];
            if (gap > 0 && (best is null || gap < best))
            {
                best = gap;
            }
        }
        return best;
    }

    /// <summary>The resolution of each side, falling back to the other side's and then to <paramref name="fallback"/>.</summary>
    public static (double Baseline, double Canary) OfBoth(IReadOnlyList<double> baseline, IReadOnlyList<double> canary, bool sorted, double fallback)
    {
        var b = Of(baseline, sorted);
        var c = Of(canary, sorted);
        return (b ?? c ?? fallback, c ?? b ?? fallback);
    }

    /// <summary>Variance of a value known only to resolution <paramref name="h"/>: h²/12.</summary>
    public static double RoundingVariance(double h) => h * h / 12;
}
