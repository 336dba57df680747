using System.Diagnostics;

namespace LogAnalytics.Tests.Cli;

/// <summary>Runs the built `loganalytics` (beside the tests) as a user would, under CI=true.</summary>
internal static class CliProcess
{
    public static (int ExitCode, string StdOut, string StdErr) Run(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loganalytics.dll"));
        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }
        info.Environment["CI"] = "true";
        using var process = Process.Start(info)!;
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        Assert.True(process.WaitForExit(120_000), "loganalytics did not exit");
        return (process.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }
}
