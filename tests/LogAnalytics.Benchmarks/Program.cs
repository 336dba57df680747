using System.Globalization;
using LogAnalytics.Benchmarks;

// Benchmarks print figures in plain lines; they are never timed assertions.
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- replay [--events 1000000] [--dir DIR] [--keep]
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- profile [--events N] [--batch-lines N]  (each replay stage alone; N rows per write)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- evaluate [--events N]  (one evaluation: read window, price, judge; then the cost of estimate.plan, computed and remembered)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- hostile [--events 10000] [--keep]  (replay memory on a hostile file)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- scale [--events N]  (1, 2, 3 workers into one shared lake)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- kafka --bootstrap HOST:PORT [--events 1000000]
//        [--client key=value]... (a 0.9 broker: --client api.version.request=false --client broker.version.fallback=0.9.0)
//        [--set Section:Key=value]... (worker settings, e.g. --set Ingestion:BatchMaxEvents=50000)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- soak [--events 20000000] [--retention-days 1]
//        [--refresh-every 200000] [--report 1000000] [--events-per-day 2400000] [--memory-limit-mib 256] [--trace-memory]
//        (store + lake + retention at production shape, a line per million events)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
try
{
    var soak = SoakArguments.Extract(ref args);
    var parsed = BenchmarkArguments.Parse(args);
    return parsed.Mode switch
    {
        "replay" => ReplayBenchmark.Run(parsed),
        "kafka" => await KafkaBenchmark.RunAsync(parsed),
        "profile" => ProfileBench.Run(parsed),
        "evaluate" => EvaluateBenchmark.Run(parsed),
        "hostile" => HostileBenchmark.Run(parsed),
        "scale" => ScaleBenchmark.Run(parsed),
        "soak" => SoakBenchmark.Run(parsed, soak.Events ?? 20_000_000, soak.RetentionDays, soak.RefreshEvery, soak.ReportEvery, soak.EventsPerDay, soak.MemoryLimitMiB, soak.TraceMemory, soak.CheckpointThresholdMiB),
        _ => Usage(),
    };
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine($"benchmarks: {ex.Message}");
    return Usage();
}

static int Usage()
{
    Console.Error.WriteLine("usage: benchmarks replay [--events N] [--dir DIR] [--keep] [--batch-lines N]");
    Console.Error.WriteLine("       benchmarks profile [--events N] [--batch-lines N]");
    Console.Error.WriteLine("       benchmarks evaluate [--events N]");
    Console.Error.WriteLine("       benchmarks hostile [--events N] [--keep] [--dir DIR]");
    Console.Error.WriteLine("       benchmarks scale [--events N]   (1, 2 and 3 workers storing into one shared lake, side by side)");
    Console.Error.WriteLine("       benchmarks soak [--events N] [--retention-days N] [--refresh-every N] [--report N] [--events-per-day N] [--memory-limit-mib N] [--trace-memory] [--dir DIR] [--keep]");
    Console.Error.WriteLine("       benchmarks kafka --bootstrap HOST:PORT [--events N] [--client key=value]... [--set Section:Key=value]... [--timeout SECONDS]");
    return 2;
}
