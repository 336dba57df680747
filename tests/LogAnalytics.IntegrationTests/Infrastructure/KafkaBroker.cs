using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace LogAnalytics.IntegrationTests.Infrastructure;

/// <summary>
/// A real single-node Apache Kafka 0.9.0.1 broker and its ZooKeeper, each a JVM started with <c>java -cp</c> on free
/// 127.0.0.1 ports, with data in a temporary folder that disposal deletes. Clients need
/// <see cref="TestKafkaConfig.ClientOverrides"/> with <c>legacyBroker: true</c>.
/// </summary>
public sealed class KafkaBroker : IAsyncDisposable
{
    /// <summary>Partitions of an auto-created topic.</summary>
    public const int DefaultPartitions = 4;

    private const int BrokerId = 0;
    private const int StartAttempts = 3;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan BrokerStopGrace = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ZooKeeperStopGrace = TimeSpan.FromSeconds(15);

    private readonly string _libs;
    private readonly string _logDirs;
    private JavaProcess? _zooKeeper;
    private JavaProcess? _broker;
    private int _brokerPort;
    private int _zooKeeperPort;

    private KafkaBroker(string libs, string workDirectory)
    {
        _libs = libs;
        WorkDirectory = workDirectory;
        _logDirs = Path.Combine(workDirectory, "kafka-data");
    }

    /// <summary>host:port of the broker (127.0.0.1 and a free port).</summary>
    public string BootstrapServers => $"127.0.0.1:{_brokerPort}";

    /// <summary>host:port of ZooKeeper.</summary>
    public string ZooKeeperConnect => $"127.0.0.1:{_zooKeeperPort}";

    /// <summary>The temporary folder with configuration, data and the JVMs' output (zookeeper.out, kafka.out).</summary>
    public string WorkDirectory { get; }

    /// <summary>Starts ZooKeeper, then the broker, and returns once the broker answers metadata requests.</summary>
    public static async Task<KafkaBroker> StartAsync(CancellationToken cancellationToken = default)
    {
        var libs = KafkaInstallation.FindLibsDirectory();
        var work = Directory.CreateTempSubdirectory("loganalytics-kafka-").FullName;
        var broker = new KafkaBroker(libs, work);
        try
        {
            await broker.StartZooKeeperAsync(cancellationToken);
            await broker.StartBrokerWithRetryAsync(cancellationToken);
            return broker;
        }
        catch
        {
            // Keep the folder: its *.out files explain the failure (the exception carries their tail as well).
            await broker.StopProcessesAsync();
            throw;
        }
    }

    /// <summary>
    /// Stops the broker (SIGTERM, a clean shutdown), starts it again on the same port and data folder, and returns once
    /// it is registered and every partition has a leader again. ZooKeeper keeps running.
    /// </summary>
    public async Task RestartBrokerAsync(CancellationToken cancellationToken = default)
    {
        if (_broker is not null)
        {
            await _broker.StopAsync(BrokerStopGrace);
            await _broker.DisposeAsync();
            _broker = null;
        }

        await StartBrokerAsync(cancellationToken);
    }

    /// <summary>
    /// Creates <paramref name="topic"/> with <paramref name="partitions"/> partitions with kafka.admin.TopicCommand (a
    /// 0.9 broker has no CreateTopics request) and returns once every partition has a leader.
    /// </summary>
    public async Task CreateTopicAsync(string topic, int partitions, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(topic);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);

        await KafkaTopicCommand.CreateAsync(_libs, ZooKeeperConnect, topic, partitions, WorkDirectory, cancellationToken);

        var lastLog = "";
        var state = "";
        using var admin = KafkaMetadata.CreateQuietAdmin(TestKafkaConfig.Admin(BootstrapServers, legacyBroker: true), m => lastLog = m);
        await Poll.UntilAsync(
            async () =>
            {
                (var ready, state) = await KafkaMetadata.TopicReadyAsync(admin, topic, partitions);
                return ready;
            },
            StartTimeout,
            () => $"topic {topic} created but not ready: {state}; last client log: {lastLog}\n{_broker?.Tail()}",
            cancellationToken);
    }

    /// <summary>Stops the broker, then ZooKeeper (a broker whose ZooKeeper is gone hangs in shutdown), then deletes
    /// <see cref="WorkDirectory"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopProcessesAsync();
        DeleteWorkDirectory();
    }

    private async Task StopProcessesAsync()
    {
        if (_broker is not null)
        {
            await _broker.StopAsync(BrokerStopGrace);
            await _broker.DisposeAsync();
            _broker = null;
        }

        if (_zooKeeper is not null)
        {
            await _zooKeeper.StopAsync(ZooKeeperStopGrace);
            await _zooKeeper.DisposeAsync();
            _zooKeeper = null;
        }
    }

    private async Task StartZooKeeperAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            _zooKeeperPort = FreeLoopbackPort();
            var dataDir = Path.Combine(WorkDirectory, "zookeeper-data");
            Directory.CreateDirectory(dataDir);
            var properties = WriteProperties("zookeeper.properties", new()
            {
                ["dataDir"] = dataDir,
                ["clientPort"] = Invariant(_zooKeeperPort),
                ["clientPortAddress"] = "127.0.0.1",
                ["maxClientCnxns"] = "0",
                ["tickTime"] = "2000",
            });
            _zooKeeper = JavaProcess.Start(
                "zookeeper",
                _libs,
                JvmOptions("-Xmx256m"),
                "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                [properties],
                Path.Combine(WorkDirectory, "zookeeper.out"));
            try
            {
                var zooKeeper = _zooKeeper;
                await Poll.UntilAsync(
                    async () =>
                    {
                        await ThrowIfExitedAsync(zooKeeper);
                        return await ZooKeeperAnswersAsync(_zooKeeperPort, cancellationToken);
                    },
                    StartTimeout,
                    () => $"ZooKeeper on {ZooKeeperConnect} did not answer 'ruok'.\n{zooKeeper.Tail()}",
                    cancellationToken);
                return;
            }
            catch (ProcessExitedException) when (attempt < StartAttempts && _zooKeeper.Tail().Contains("Address already in use", StringComparison.Ordinal))
            {
                // Another process took the port between our probe and the JVM's bind: try another one.
                await _zooKeeper.DisposeAsync();
            }
        }
    }

    private async Task StartBrokerWithRetryAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            _brokerPort = FreeLoopbackPort();
            try
            {
                await StartBrokerAsync(cancellationToken);
                return;
            }
            catch (ProcessExitedException) when (attempt < StartAttempts && _broker!.Tail().Contains("Address already in use", StringComparison.Ordinal))
            {
                await _broker.DisposeAsync();
                _broker = null;
            }
        }
    }

    private async Task StartBrokerAsync(CancellationToken cancellationToken)
    {
        var properties = WriteProperties("server.properties", new()
        {
            ["broker.id"] = Invariant(BrokerId),
            ["listeners"] = $"PLAINTEXT://127.0.0.1:{_brokerPort}",
            ["advertised.host.name"] = "127.0.0.1",
            ["advertised.port"] = Invariant(_brokerPort),
            ["log.dirs"] = _logDirs,
            ["zookeeper.connect"] = ZooKeeperConnect,
            ["zookeeper.connection.timeout.ms"] = "30000",
            // Topics spring into being on first produce or metadata request, with this many partitions;
            // CreateTopicAsync sets another count per topic.
            ["num.partitions"] = Invariant(DefaultPartitions),
            ["auto.create.topics.enable"] = "true",
            ["offsets.topic.replication.factor"] = "1",
            ["offsets.topic.num.partitions"] = "4",
            // Must exceed every client's session.timeout.ms: librdkafka's default is 45 s, 0.9's default cap 30 s.
            ["group.max.session.timeout.ms"] = "300000",
            // Lets tests use short session timeouts to see a dead member leave quickly.
            ["group.min.session.timeout.ms"] = "1000",
            ["delete.topic.enable"] = "true",
            ["log.cleaner.enable"] = "true",
            // The cleaner's default 128 MB buffer would take a quarter of the heap; test topics are tiny.
            ["log.cleaner.dedupe.buffer.size"] = "16777216",
        });
        _broker = JavaProcess.Start(
            "kafka",
            _libs,
            JvmOptions("-Xmx512m"),
            "kafka.Kafka",
            [properties],
            Path.Combine(WorkDirectory, "kafka.out"));

        var broker = _broker;
        var lastLog = "";
        var state = "not asked yet";
        using var admin = KafkaMetadata.CreateQuietAdmin(TestKafkaConfig.Admin(BootstrapServers, legacyBroker: true), m => lastLog = m);
        await Poll.UntilAsync(
            async () =>
            {
                await ThrowIfExitedAsync(broker);
                (var ready, state) = await KafkaMetadata.ClusterReadyAsync(admin, BootstrapServers);
                return ready;
            },
            StartTimeout,
            () => $"Kafka broker {BootstrapServers} not ready: {state}; last client log: {lastLog}\n{broker.Tail()}",
            cancellationToken);
    }

    private IEnumerable<string> JvmOptions(string heap) =>
    [
        heap,
        "-Djava.net.preferIPv4Stack=true",
        $"-Dlog4j.configuration=file:{WriteLog4jConfig("log4j.properties", "INFO")}",
    ];

    private string WriteLog4jConfig(string fileName, string level) =>
        KafkaInstallation.WriteLog4jConfig(Path.Combine(WorkDirectory, fileName), level);

    private string WriteProperties(string fileName, Dictionary<string, string> properties)
    {
        var path = Path.Combine(WorkDirectory, fileName);
        var text = new StringBuilder();
        foreach (var (key, value) in properties)
        {
            text.Append(key).Append('=').Append(value.Replace("\\", "\\\\", StringComparison.Ordinal)).Append('\n');
        }

        File.WriteAllText(path, text.ToString());
        return path;
    }

    private void DeleteWorkDirectory()
    {
        try
        {
            Directory.Delete(WorkDirectory, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Already gone.
        }
    }

    private static async Task ThrowIfExitedAsync(JavaProcess java)
    {
        if (java.HasExited)
        {
            throw new ProcessExitedException($"During start-up {await java.ExitReportAsync()}");
        }
    }

    private static async Task<bool> ZooKeeperAnswersAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
            await using var stream = client.GetStream();
            await stream.WriteAsync("ruok"u8.ToArray(), cancellationToken);
            var buffer = new byte[4];
            var read = await stream.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellationToken);
            return read == 4 && Encoding.ASCII.GetString(buffer) == "imok";
        }
        catch (SocketException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static int FreeLoopbackPort()
    {
        // Bind port 0 so the kernel picks a free port, then release it for the JVM. StartAttempts covers the rare race.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

    private sealed class ProcessExitedException(string message) : InvalidOperationException(message);
}
