using System.Diagnostics;
using System.Text.RegularExpressions;

namespace LogAnalytics.Tests.Deploy;

/// <summary>README's secret example really works in bash (a librdkafka key has dots, which bash's <c>export</c>
/// rejects), and the worker maps such a variable to <c>Kafka:Client:&lt;key&gt;</c>.</summary>
public sealed partial class ReadmeSecretExampleTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-secret-").FullName;

    private static (int Exit, string StdOut, string StdErr) Bash(string script, IDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo("/bin/bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        foreach (var (k, v) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[k] = v;
        }
        using var p = Process.Start(info)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(60_000), "bash did not exit");
        return (p.ExitCode, stdout, stderr.GetAwaiter().GetResult());
    }

    [Fact]
    public void Readme_bash_example_passes_the_dotted_variable_and_the_old_export_form_fails()
    {
        var block = Assert.Single(BashBlocks().Matches(RepositoryFiles.Read("README.md")).Select(m => m.Groups[1].Value),
            b => b.Contains("LOGANALYTICS_Kafka__Client__sasl.password", StringComparison.Ordinal) && b.Contains("loganalytics run", StringComparison.Ordinal));
        Assert.DoesNotContain("export LOGANALYTICS_Kafka__Client__sasl.password", block);

        var secret = Path.Combine(_dir, "kafka-password");
        File.WriteAllText(secret, "p@ss w0rd;$x");
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        var shim = Path.Combine(bin, "loganalytics");
        File.WriteAllText(shim, "#!/bin/bash\nprintf 'secret=%s\\n' \"$(printenv 'LOGANALYTICS_Kafka__Client__sasl.password')\"\nprintf 'args=%s\\n' \"$*\"\n");
        Assert.Equal(0, Bash($"chmod 700 '{shim}'").Exit);

        var script = "set -euo pipefail\n" + block.Replace("/run/secrets/kafka-password", secret, StringComparison.Ordinal);
        var (exit, stdout, stderr) = Bash(script, new Dictionary<string, string> { ["PATH"] = $"{bin}:{Environment.GetEnvironmentVariable("PATH")}" });
        Assert.True(exit == 0, stderr);
        Assert.Contains("secret=p@ss w0rd;$x\n", stdout);
        Assert.Contains("args=run --config /etc/loganalytics/prod.json\n", stdout);

        var (oldExit, _, oldErr) = Bash("export LOGANALYTICS_Kafka__Client__sasl.password=x");
        Assert.NotEqual(0, oldExit);
        Assert.Contains("not a valid identifier", oldErr);
    }

    [Fact]
    public async Task A_dotted_environment_variable_reaches_Kafka_Client()
    {
        // group.id is reserved, so the worker names it at start-up: proof that the dotted name became Kafka:Client:group.id.
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = _dir };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "loganalytics.dll"));
        info.ArgumentList.Add("run");
        info.Environment["CI"] = "true";
        info.Environment["LOGANALYTICS_Kafka__Client__group.id"] = "mine";
        info.Environment["LOGANALYTICS_Http__Urls"] = "";
        info.Environment["LOGANALYTICS_Storage__DatabasePath"] = Path.Combine(_dir, "la.duckdb");
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = await p.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await p.WaitForExitAsync(deadline.Token);
        _ = await stdout;
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("Kafka:Client:group.id is set by LogAnalytics itself", stderr);
    }

    [GeneratedRegex("```bash\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex BashBlocks();

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
