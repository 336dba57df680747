using System.Diagnostics;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LogAnalytics.Tests.Deploy;

/// <summary>The Dockerfile's build step is a `dotnet publish` this test runs too; the published `loganalytics` (the
/// image's entry point) then starts, serves the probes as JSON and stops cleanly on SIGTERM. There is no Docker engine
/// here, so the image itself is not built.</summary>
public sealed partial class DockerfileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("la-docker-").FullName;

    [Fact]
    public async Task Dockerfile_publish_command_produces_an_entry_point_that_serves_the_probes()
    {
        var dockerfile = RepositoryFiles.Read("Dockerfile");
        Assert.Equal(2, FromLine().Matches(dockerfile).Count); // multi-stage: SDK build, runtime
        var publish = Assert.Single(PublishLine().Matches(dockerfile)).Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var output = publish[publish.IndexOf("-o") + 1];
        Assert.Contains($"COPY --from=build {output} .", dockerfile);
        Assert.Contains("WORKDIR /app", dockerfile);
        Assert.Contains("ENTRYPOINT [\"/app/loganalytics\"]", dockerfile);
        Assert.Contains("CMD [\"run\"]", dockerfile);
        Assert.Matches(new Regex("^USER \\$APP_UID$", RegexOptions.Multiline), dockerfile);

        // The same command, writing to a temp folder instead of /app/publish.
        var outDir = Path.Combine(_dir, "publish");
        publish[publish.IndexOf("-o") + 1] = outDir;
        var info = new ProcessStartInfo("dotnet") { WorkingDirectory = RepositoryFiles.Root, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in publish)
        {
            info.ArgumentList.Add(arg);
        }
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using (var build = Process.Start(info)!)
        {
            var err = build.StandardError.ReadToEndAsync();
            var log = await build.StandardOutput.ReadToEndAsync();
            using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(15));
            await build.WaitForExitAsync(deadline.Token);
            Assert.True(build.ExitCode == 0, $"dotnet {string.Join(' ', publish)} failed:\n{log}\n{await err}");
        }
        var entryPoint = Path.Combine(outDir, "loganalytics");
        Assert.True(File.Exists(entryPoint), "no loganalytics in the publish output");
        Assert.True(File.Exists(Path.Combine(outDir, "appsettings.json")));

        // Start it as the image would (ENTRYPOINT + CMD), on a port Kestrel picks; no Kafka is reachable.
        var run = new ProcessStartInfo(entryPoint) { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        run.ArgumentList.Add("run");
        run.Environment["CI"] = "true";
        run.Environment["LOGANALYTICS_Http__Urls"] = "http://127.0.0.1:0";
        run.Environment["LOGANALYTICS_Kafka__BootstrapServers"] = "127.0.0.1:9";
        run.Environment["LOGANALYTICS_Storage__DatabasePath"] = Path.Combine(_dir, "la.duckdb");
        run.Environment["LOGANALYTICS_Serilog__MinimumLevel__Override__Microsoft.Hosting.Lifetime"] = "Information"; // logs "Now listening on"
        using var worker = Process.Start(run)!;
        var lines = new List<string>();
        var listening = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }
            lock (lines)
            {
                lines.Add(line);
            }
            var m = ListeningLine().Match(line);
            if (m.Success)
            {
                listening.TrySetResult(new Uri(m.Groups[1].Value));
            }
        }
        List<string> Snapshot()
        {
            lock (lines)
            {
                return [.. lines];
            }
        }
        worker.OutputDataReceived += (_, e) => OnLine(e.Data);
        worker.ErrorDataReceived += (_, e) => OnLine(e.Data);
        worker.BeginOutputReadLine();
        worker.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromSeconds(60));
            // A deadline, not a wait: the first request to a freshly published process compiles the whole HTTP stack while
            // the worker starts beside it and other test classes run; on a busy 2-core machine that once took over 10 s.
            using var http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
            var live = await http.GetAsync("/healthz");
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
            Assert.Equal("application/json", live.Content.Headers.ContentType?.MediaType);
            var ready = await http.GetAsync("/readyz");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode); // no Kafka: no partitions assigned
            using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            Assert.False(body.RootElement.GetProperty("checks").GetProperty("partitions").GetProperty("ok").GetBoolean());
            Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync("/nothing")).StatusCode);

            // librdkafka's own lines (Kafka is unreachable) come through Serilog with the client's name, never raw.
            var clients = new[] { "Kafka consumer ", "Kafka verdict producer ", "Kafka dead-letter producer " };
            using var logs = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!clients.All(c => Snapshot().Any(l => l.Contains(c, StringComparison.Ordinal))))
            {
                await Task.Delay(200, logs.Token);
            }
            Assert.DoesNotContain(Snapshot(), l => l.StartsWith('%'));
        }
        finally
        {
            using (var kill = Process.Start("kill", ["-TERM", worker.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            {
                await kill!.WaitForExitAsync();
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(90));
            try
            {
                await worker.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                worker.Kill(entireProcessTree: true);
            }
        }
        Assert.True(worker.ExitCode == 0, $"exit {worker.ExitCode}:\n{string.Join('\n', lines)}");
    }

    [GeneratedRegex("^FROM ", RegexOptions.Multiline)]
    private static partial Regex FromLine();

    [GeneratedRegex("^RUN (dotnet publish .*)$", RegexOptions.Multiline)]
    private static partial Regex PublishLine();

    [GeneratedRegex("Now listening on: (http://127\\.0\\.0\\.1:[0-9]+)")]
    private static partial Regex ListeningLine();

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
