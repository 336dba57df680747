using System.Diagnostics;
using System.Text.Json;

namespace LogAnalytics.IntegrationTests.Support;

/// <summary>`loganalytics run` as a separate OS process (the built CLI beside the tests), so it can be killed with SIGKILL.</summary>
public sealed class WorkerProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = new();

    private WorkerProcess(Process process)
    {
        _process = process;
        process.OutputDataReceived += (_, e) => Record(e.Data);
        process.ErrorDataReceived += (_, e) => Record(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    public int Id => _process.Id;

    /// <summary>True once the process ended (or this object was disposed: a disposed process has nothing left to run).</summary>
    public bool HasExited
    {
        get
        {
            try
            {
                return _disposed || _process.HasExited;
            }
            catch (InvalidOperationException)
            {
                return true; // no process associated any more
            }
        }
    }

    public string Output
    {
        get
        {
            lock (_lines)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    /// <summary>Writes <paramref name="settings"/> as a JSON config file and starts `loganalytics run --config` on it
    /// (or `loganalytics <paramref name="command"/> --config`, e.g. <c>["evaluate", "--lake", dir]</c>).</summary>
    public static WorkerProcess Start(string configPath, IDictionary<string, string?> settings, params string[] command)
    {
        File.WriteAllText(configPath, ToJson(settings));
        var dll = Path.Combine(AppContext.BaseDirectory, "loganalytics.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(configPath)!,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in command.Length == 0 ? ["run"] : command)
        {
            info.ArgumentList.Add(argument);
        }
        info.ArgumentList.Add("--config");
        info.ArgumentList.Add(configPath);
        info.Environment["CI"] = "true";
        return new WorkerProcess(Process.Start(info) ?? throw new InvalidOperationException("could not start loganalytics"));
    }

    /// <summary>SIGKILL: no chance to flush or leave the group.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit(30_000);
    }

    /// <summary>SIGSTOP (<paramref name="pause"/>) or SIGCONT: a process that stops answering without leaving.</summary>
    public void Pause(bool pause)
    {
        using var signal = Process.Start("kill", [pause ? "-STOP" : "-CONT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        signal!.WaitForExit();
    }

    /// <summary>SIGTERM, then wait for a clean exit.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill!.WaitForExitAsync();
        }
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public bool Said(string text) => Output.Contains(text, StringComparison.Ordinal);

    private void Record(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_lines)
        {
            _lines.Add(line);
        }
    }

    private static string ToJson(IDictionary<string, string?> settings)
    {
        // "A:B:C" keys -> nested objects; numeric segments stay object keys (the binder reads "0" as an array index).
        var root = new Dictionary<string, object>();
        foreach (var (key, value) in settings)
        {
            var parts = key.Split(':');
            var node = root;
            for (var i = 0; i < parts.Length - 1; i++)
            {
                if (!node.TryGetValue(parts[i], out var child))
                {
                    child = new Dictionary<string, object>();
                    node[parts[i]] = child;
                }
                node = (Dictionary<string, object>)child;
            }
            node[parts[^1]] = value!;
        }
        return JsonSerializer.Serialize(root);
    }

    /// <summary>SIGKILL if still running; safe to call more than once (a failing test's report stops every process
    /// before its own cleanup does).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(30_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
        _process.Dispose();
    }

    private bool _disposed;
}
