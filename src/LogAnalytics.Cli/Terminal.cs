using Spectre.Console;
using Spectre.Console.Rendering;

namespace LogAnalytics.Cli;

/// <summary>Whether live views and progress bars may be drawn: only on an interactive terminal, never under CI
/// (CI=true) or with redirected output, where they degrade to plain lines.</summary>
internal static class Terminal
{
    public static bool IsInteractive =>
        !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
        && !Console.IsOutputRedirected && !Console.IsErrorRedirected
        && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>Writes a renderable to <paramref name="output"/> (default stdout); plain (no colour, no cursor moves) when
    /// not <paramref name="interactive"/> (default: <see cref="IsInteractive"/>).</summary>
    public static void Write(IRenderable renderable, TextWriter? output = null, bool? interactive = null)
    {
        if (interactive ?? IsInteractive)
        {
            AnsiConsole.Write(renderable);
            return;
        }
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(output ?? Console.Out),
        });
        plain.Profile.Width = 160;
        plain.Write(renderable);
    }
}
