using System.Globalization;

namespace LogAnalytics.Benchmarks;

/// <summary>The benchmark's command line: a mode, then <c>--name value</c> pairs (<c>--client</c> may repeat).</summary>
internal sealed record BenchmarkArguments(string Mode, long Events, string? Directory, bool Keep, string? Bootstrap,
    IReadOnlyDictionary<string, string> Client, TimeSpan Timeout, int? BatchLines, IReadOnlyDictionary<string, string> Settings)
{
    public static BenchmarkArguments Parse(string[] args)
    {
        if (args.Length == 0)
        {
            throw new ArgumentException("name a mode: replay or kafka");
        }
        long events = 1_000_000;
        string? directory = null;
        string? bootstrap = null;
        var keep = false;
        var timeout = TimeSpan.FromMinutes(10);
        var client = new Dictionary<string, string>(StringComparer.Ordinal);
        int? batchLines = null;
        var settings = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Length; i++)
        {
            string Value() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--events":
                    events = long.Parse(Value(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                    break;
                case "--dir":
                    directory = Value();
                    break;
                case "--batch-lines":
                    batchLines = int.Parse(Value(), NumberStyles.AllowThousands, CultureInfo.InvariantCulture);
                    break;
                case "--keep":
                    keep = true;
                    break;
                case "--bootstrap":
                    bootstrap = Value();
                    break;
                case "--timeout":
                    timeout = TimeSpan.FromSeconds(double.Parse(Value(), CultureInfo.InvariantCulture));
                    break;
                case "--set":
                    var setting = Value();
                    var at = setting.IndexOf('=', StringComparison.Ordinal);
                    if (at <= 0)
                    {
                        throw new ArgumentException($"--set {setting}: expected Section:Key=value");
                    }
                    settings[setting[..at]] = setting[(at + 1)..];
                    break;
                case "--client":
                    var pair = Value();
                    var eq = pair.IndexOf('=', StringComparison.Ordinal);
                    if (eq <= 0)
                    {
                        throw new ArgumentException($"--client {pair}: expected key=value");
                    }
                    client[pair[..eq]] = pair[(eq + 1)..];
                    break;
                default:
                    throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (events < 1)
        {
            throw new ArgumentException("--events must be >= 1");
        }
        return new BenchmarkArguments(args[0], events, directory, keep, bootstrap, client, timeout, batchLines, settings);
    }

    /// <summary>A replayer with the product's defaults, or the transaction size given by <c>--batch-lines N</c> and
    /// <c>--set Replay:BatchBytes=N</c> (e.g. the earlier defaults, <c>--batch-lines 100000 --set
    /// Replay:BatchBytes=33554432</c>); prints the size it uses.</summary>
    public Ingestion.Replay.FileReplayer CreateReplayer(Storage.DuckDbEventStore store)
    {
        var defaults = new Ingestion.Replay.FileReplayer(store, new Ingestion.Decoding.EventDecoder());
        var replayer = new Ingestion.Replay.FileReplayer(store, new Ingestion.Decoding.EventDecoder())
        {
            BatchLines = BatchLines ?? defaults.BatchLines,
            BatchBytes = Settings.TryGetValue("Replay:BatchBytes", out var batchBytes)
                ? int.Parse(batchBytes, CultureInfo.InvariantCulture)
                : defaults.BatchBytes,
        };
        Console.WriteLine($"replay      transactions of at most {replayer.BatchLines:N0} lines and {Format.MiB(replayer.BatchBytes)} MiB of lines");
        return replayer;
    }

    /// <summary>A fresh folder for this run's files.</summary>
    public string CreateWorkDirectory(string prefix)
    {
        var root = Directory ?? Path.GetTempPath();
        var dir = Path.Combine(root, $"{prefix}-{DateTime.UtcNow:yyyyMMdd-HHmmss}-{Environment.ProcessId}");
        System.IO.Directory.CreateDirectory(dir);
        return dir;
    }
}
