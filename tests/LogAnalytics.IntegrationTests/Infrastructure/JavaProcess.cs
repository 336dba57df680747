using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// One JVM started with <c>java -cp</c>: its stdout and stderr go to a file, the last lines are kept for error
/// messages, and it is stopped by pid (SIGTERM, then SIGKILL after a deadline).
/// </summary>
internal sealed class JavaProcess : IAsyncDisposable
{
    private const int TailLines = 60;
    private const int SigTerm = 15;

    // Every JVM still running, so a test host that dies without disposing its fixtures does not leave brokers behind.
    private static readonly HashSet<JavaProcess> Running = [];

    private readonly Process _process;
    private readonly StreamWriter _output;
    private readonly Queue<string> _tail = new();
    private readonly Lock _gate = new();
    private bool _closed;

    static JavaProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAllRunning();

    private JavaProcess(string name, Process process, StreamWriter output)
    {
        Name = name;
        _process = process;
        _output = output;
    }

    /// <summary>A short name for messages ("zookeeper", "kafka").</summary>
    public string Name { get; }

    /// <summary>The operating-system process id.</summary>
    public int Id => _process.Id;

    /// <summary>True once the JVM has exited.</summary>
    public bool HasExited => _process.HasExited;

    /// <summary>The file that receives the JVM's stdout and stderr.</summary>
    public required string OutputFile { get; init; }

    /// <summary>
    /// Starts <c>java [jvmOptions] -cp "libs/*" mainClass [args]</c>. Output is appended to <paramref name="outputFile"/>.
    /// </summary>
    public static JavaProcess Start(
        string name,
        string libsDirectory,
        IEnumerable<string> jvmOptions,
        string mainClass,
        IEnumerable<string> args,
        string outputFile)
    {
        var startInfo = new ProcessStartInfo(JavaExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(outputFile)!,
        };
        foreach (var option in jvmOptions)
        {
            startInfo.ArgumentList.Add(option);
        }

        // The JVM expands "dir/*" to every jar in dir itself; no shell is involved.
        startInfo.ArgumentList.Add("-cp");
        startInfo.ArgumentList.Add(Path.Combine(libsDirectory, "*"));
        startInfo.ArgumentList.Add(mainClass);
        foreach (var arg in args)
        {
            startInfo.ArgumentList.Add(arg);
        }

        var output = new StreamWriter(outputFile, append: true) { AutoFlush = true };
        output.WriteLine($"### {DateTimeOffset.Now:O} java {string.Join(' ', startInfo.ArgumentList)}");
        var process = new Process { StartInfo = startInfo, EnableRaisingEvents = true };
        var java = new JavaProcess(name, process, output) { OutputFile = outputFile };
        process.OutputDataReceived += (_, e) => java.Append(e.Data);
        process.ErrorDataReceived += (_, e) => java.Append(e.Data);
        try
        {
            process.Start();
        }
        catch (Exception ex)
        {
            output.Dispose();
            process.Dispose();
            throw new InvalidOperationException(
                $"Could not start {name}: '{startInfo.FileName}' failed ({ex.Message}). " +
                "Install a Java runtime (bash .ci/install-kafka.sh does it) or set JAVA_HOME.",
                ex);
        }

        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        lock (Running)
        {
            Running.Add(java);
        }

        return java;
    }

    /// <summary>Runs a JVM to completion within <paramref name="timeout"/> and returns its exit code and output tail.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string name,
        string libsDirectory,
        IEnumerable<string> jvmOptions,
        string mainClass,
        IEnumerable<string> args,
        string outputFile,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        await using var java = Start(name, libsDirectory, jvmOptions, mainClass, args, outputFile);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await java._process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"{name} did not finish within {timeout}. Output:\n{java.Tail()}");
        }

        return (java._process.ExitCode, java.Tail());
    }

    /// <summary>The last lines the JVM wrote, for error messages.</summary>
    public string Tail()
    {
        lock (_gate)
        {
            return $"--- last {_tail.Count} lines of {Name} output (full log: {OutputFile}) ---\n" +
                string.Join('\n', _tail);
        }
    }

    /// <summary>
    /// Sends SIGTERM so the JVM runs its shutdown hooks (Kafka flushes its logs and leaves ZooKeeper cleanly), waits
    /// up to <paramref name="gracePeriod"/>, then SIGKILLs it. Returns true when it stopped on SIGTERM.
    /// </summary>
    public async Task<bool> StopAsync(TimeSpan gracePeriod)
    {
        if (_process.HasExited)
        {
            await DrainOutputAsync();
            Forget();
            return true;
        }

        var graceful = true;
        if (kill(_process.Id, SigTerm) == 0)
        {
            using var deadline = new CancellationTokenSource(gracePeriod);
            try
            {
                await _process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                graceful = false;
            }
        }
        else
        {
            graceful = false;
        }

        if (!_process.HasExited)
        {
            Append($"### {Name} ignored SIGTERM for {gracePeriod}; sending SIGKILL");
            _process.Kill(entireProcessTree: true);
        }

        await DrainOutputAsync();
        Forget();
        return graceful;
    }

    /// <summary>For a JVM that exited on its own: its exit code and last output lines.</summary>
    public async Task<string> ExitReportAsync()
    {
        await DrainOutputAsync();
        return $"{Name} exited with code {_process.ExitCode}.\n{Tail()}";
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(30));
        _process.Dispose();
        lock (_gate)
        {
            _closed = true;
            _output.Dispose();
        }
    }

    private async Task DrainOutputAsync()
    {
        // Once the process has exited, WaitForExitAsync also waits for its redirected output to be read to the end.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(deadline.Token);
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _tail.Enqueue(line);
            while (_tail.Count > TailLines)
            {
                _tail.Dequeue();
            }

            if (!_closed)
            {
                _output.WriteLine(line);
            }
        }
    }

    private void Forget()
    {
        lock (Running)
        {
            Running.Remove(this);
        }
    }

    private static void KillAllRunning()
    {
        JavaProcess[] running;
        lock (Running)
        {
            running = [.. Running];
        }

        foreach (var java in running)
        {
            try
            {
                java._process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }
    }

    private static string JavaExecutable()
    {
        var javaHome = Environment.GetEnvironmentVariable("JAVA_HOME");
        if (!string.IsNullOrEmpty(javaHome))
        {
            var candidate = Path.Combine(javaHome, "bin", "java");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return "java";
    }

    // Process.Kill only sends SIGKILL; SIGTERM lets the JVM shut down cleanly.
    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
