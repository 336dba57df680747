using System.Text.RegularExpressions;
using Confluent.Kafka;

namespace LogAnalytics.Cli.Demo;

/// <summary>
/// librdkafka's built-in mock Kafka cluster, in this process: no broker to install. A client configured with
/// <c>test.mock.num.brokers</c> (and no <c>bootstrap.servers</c>) starts the brokers on 127.0.0.1 at ephemeral ports
/// and lives as long as that client; ordinary clients then reach them through <see cref="BootstrapServers"/>.
/// Topics are created on first use (4 partitions); the mock does not implement CreateTopics.
/// </summary>
internal sealed partial class MockKafkaCluster : IDisposable
{
    private readonly IAdminClient _owner;

    private MockKafkaCluster(IAdminClient owner, string bootstrapServers)
    {
        _owner = owner;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The mock brokers' <c>host:port</c> list, for <c>bootstrap.servers</c> of other clients.</summary>
    public string BootstrapServers { get; }

    /// <summary>Starts a mock cluster and finds its address.</summary>
    /// <remarks>
    /// librdkafka has <c>rd_kafka_mock_cluster_bootstraps()</c>, but Confluent.Kafka does not expose it. Two public
    /// ways remain, used in this order: the owning client's metadata lists the mock brokers with their host and port
    /// (the mock answers Metadata like a real cluster), and the client logs
    /// <c>Mock cluster enabled: original bootstrap.servers and security.protocol ignored and replaced with 127.0.0.1:PORT</c>.
    /// </remarks>
    /// <exception cref="KafkaException">The mock cluster did not answer within <paramref name="timeout"/>.</exception>
    public static MockKafkaCluster Start(int brokers = 1, TimeSpan? timeout = null)
    {
        string? logged = null;
        var config = new AdminClientConfig(new Dictionary<string, string>
        {
            // Starts brokers inside librdkafka; bootstrap.servers is left unset (the mock replaces it anyway).
            ["test.mock.num.brokers"] = brokers.ToString(System.Globalization.CultureInfo.InvariantCulture),
        })
        {
            ClientId = "loganalytics-demo-mock",
        };
        var owner = new AdminClientBuilder(config)
            .SetLogHandler((_, message) =>
            {
                // Keep the one line that names the address; the mock's other notices are noise in a demo.
                var match = MockBootstrapLog().Match(message.Message);
                if (match.Success)
                {
                    logged = match.Groups["servers"].Value;
                }
            })
            .SetErrorHandler((_, _) => { })
            .Build();
        try
        {
            var metadata = owner.GetMetadata(timeout ?? TimeSpan.FromSeconds(10));
            var fromMetadata = string.Join(",", metadata.Brokers.OrderBy(b => b.BrokerId).Select(b => $"{b.Host}:{b.Port}"));
            var servers = fromMetadata.Length > 0 ? fromMetadata : logged;
            if (string.IsNullOrEmpty(servers))
            {
                throw new KafkaException(new Error(ErrorCode.Local_Transport, "the mock cluster started but named no broker address"));
            }
            return new MockKafkaCluster(owner, servers);
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    [GeneratedRegex(@"replaced with (?<servers>[^\s]+)")]
    private static partial Regex MockBootstrapLog();

    /// <summary>Stops the mock brokers (clients still connected to them start failing).</summary>
    public void Dispose() => _owner.Dispose();
}
