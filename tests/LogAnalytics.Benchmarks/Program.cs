using System.Globalization;
using LogAnalytics.Benchmarks;

// Benchmarks print figures in plain lines; they are never timed assertions.
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- replay [--events 1000000] [--dir DIR] [--keep]
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- profile [--events N] [--batch-lines N]  (each replay stage alone; N rows per write)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- evaluate [--events N]  (one evaluation: read window, price, judge)
//   dotnet run -c Release --project tests/LogAnalytics.Benchmarks -- kafka --bootstrap HOST:PORT [--events 1000000]
//        [--client key=value]... (a 0.9 broker: --client api.version.request=false --client broker.version.fallback=0.9.0)
//        [--set Section:Key=value]... (worker settings, e.g. --set Ingestion:BatchMaxEvents=50000)
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
try
{
    var parsed = BenchmarkArguments.Parse(args);
    return parsed.Mode switch
    {
        "replay" => ReplayBenchmark.Run(parsed),
        "kafka" => await KafkaBenchmark.RunAsync(parsed),
        "profile" => ProfileBench.Run(parsed),
        "evaluate" => EvaluateBenchmark.Run(parsed),
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
    Console.Error.WriteLine("       benchmarks kafka --bootstrap HOST:PORT [--events N] [--client key=value]... [--set Section:Key=value]... [--timeout SECONDS]");
    return 2;
}
