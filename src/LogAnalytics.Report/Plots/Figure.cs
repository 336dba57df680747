namespace LogAnalytics.Report.Plots;

/// <summary>A plot of the report: a PNG with its title (and a note when part of it is missing), or, when there is
/// nothing to draw, the sentence that says why.</summary>
internal sealed record Figure(string Title, byte[]? Png, int Width, int Height, string? Missing, string? Note = null)
{
    public static Figure Drawn(string title, byte[] png, int width, int height, string? note = null) => new(title, png, width, height, null, note);

    public static Figure NotDrawn(string title, string why) => new(title, null, 0, 0, why);
}
