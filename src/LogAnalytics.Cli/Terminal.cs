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

    /// <summary>Writes a renderable to stdout; plain (no colour, no cursor moves) when not interactive.</summary>
    public static void Write(IRenderable renderable)
    {
        if (IsInteractive)
        {
            AnsiConsole.Write(renderable);
            return;
        }
        var plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        plain.Profile.Width = 160;
        plain.Write(renderable);
    }
}
