namespace LogAnalytics.Statistics;

/// <summary>Argument checks shared by the statistics. Programming errors throw; data problems do not.</summary>
internal static class Guard
{
    /// <summary>Throws unless 0 &lt; <paramref name="alpha"/> &lt; 1.</summary>
    public static void Alpha(double alpha, string name = "alpha")
    {
        if (!(alpha > 0.0 && alpha < 1.0))
        {
            throw new ArgumentOutOfRangeException(name, alpha, "alpha must lie strictly between 0 and 1.");
        }
    }

    /// <summary>Throws if a sample holds NaN or an infinity; latencies and costs are always finite.</summary>
    public static void Finite(ReadOnlySpan<double> sample, string name)
    {
        foreach (var v in sample)
        {
            if (!double.IsFinite(v))
            {
                throw new ArgumentException($"{name} contains a non-finite value ({v}).", name);
            }
        }
    }

    /// <summary>Throws unless 0 ≤ <paramref name="events"/> ≤ <paramref name="total"/>.</summary>
    public static void Counts(long events, long total, string name)
    {
        if (total < 0 || events < 0 || events > total)
        {
            throw new ArgumentOutOfRangeException(name, $"{name}: need 0 <= events <= total, got {events} of {total}.");
        }
    }

    /// <summary>A sorted copy of <paramref name="sample"/>.</summary>
    public static double[] SortedCopy(ReadOnlySpan<double> sample)
    {
        var copy = sample.ToArray();
        Array.Sort(copy);
        return copy;
    }
}
