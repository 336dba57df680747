using System.Globalization;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// Creates topics the 0.9 way: kafka.admin.TopicCommand writes the assignment to ZooKeeper and the controller creates
/// the partitions (a 0.9 broker has no CreateTopics request).
/// </summary>
internal static class KafkaTopicCommand
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Runs <c>TopicCommand --create</c> with one replica and throws with its output unless it exits with 0. The topic
    /// exists in ZooKeeper afterwards; its partitions get leaders shortly after, which callers wait for.
    /// </summary>
    public static async Task CreateAsync(
        string libsDirectory,
        string zooKeeperConnect,
        string topic,
        int partitions,
        string workDirectory,
        CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);

        var log4j = KafkaInstallation.WriteLog4jConfig(Path.Combine(workDirectory, "tools-log4j.properties"), "WARN");
        var (exitCode, output) = await JavaProcess.RunAsync(
            "kafka.admin.TopicCommand",
            libsDirectory,
            ["-Xmx128m", $"-Dlog4j.configuration=file:{log4j}"],
            "kafka.admin.TopicCommand",
            [
                "--create", "--zookeeper", zooKeeperConnect, "--topic", topic,
                "--partitions", partitions.ToString(CultureInfo.InvariantCulture), "--replication-factor", "1",
            ],
            Path.Combine(workDirectory, "topic-command.out"),
            Timeout,
            cancellationToken);
        if (exitCode != 0)
        {
            throw new InvalidOperationException(
                $"Creating topic {topic} with {partitions} partitions via ZooKeeper {zooKeeperConnect} failed (exit code {exitCode}).\n{output}");
        }
    }
}
