namespace LogAnalytics.Statistics;

/// <summary>
/// A closed interval <c>[Lower, Upper]</c>. One-sided intervals use an infinite bound; an interval that cannot
/// be made finite at the requested level (too few observations) is <c>(-∞, +∞)</c>.
/// </summary>
/// <param name="Lower">Lower bound, possibly <see cref="double.NegativeInfinity"/>.</param>
/// <param name="Upper">Upper bound, possibly <see cref="double.PositiveInfinity"/>.</param>
internal readonly record struct ConfidenceInterval(double Lower, double Upper)
{
    /// <summary>The interval that says nothing: <c>(-∞, +∞)</c>.</summary>
    public static ConfidenceInterval Unbounded => new(double.NegativeInfinity, double.PositiveInfinity);

    /// <summary>True when both bounds are finite.</summary>
    public bool IsBounded => double.IsFinite(Lower) && double.IsFinite(Upper);

    /// <summary>True when <paramref name="value"/> lies in the closed interval.</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;

    /// <summary>Upper minus lower bound (infinite for an unbounded interval).</summary>
    public double Width => Upper - Lower;
}
