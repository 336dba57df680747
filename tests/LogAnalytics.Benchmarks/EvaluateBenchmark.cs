using System.Diagnostics;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.SyntheticTraffic;
using LogAnalytics.Storage;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// How long one evaluation of one experiment takes with N requests in its window: reading the window from DuckDB
/// (SQL, pricing every request, reading validation events) and judging it (every guardrail, the sequential judge,
/// the policy). The worker does this for every experiment each Experiments:EvaluationIntervalSeconds.
/// </summary>
internal static class EvaluateBenchmark
{
    public static int Run(BenchmarkArguments args)
    {
        var start = new DateTimeOffset(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);
        var router = new SyntheticRouter(new SyntheticRouterOptions
        {
            Seed = 42,
            Start = start,
            EventsPerSecond = 100,
            Scenario = TrafficScenario.Healthy with { WeightPercent = 25 },
        });
        var decoder = new EventDecoder(new FixedClock(start.AddDays(30)));
        var path = Path.Combine(args.CreateWorkDirectory("loganalytics-evaluate"), "evaluate.duckdb");
        try
        {
            // --set Storage:DatabaseMemoryLimitMiB=N runs the evaluation under the worker's DuckDB memory cap.
            int? limit = args.Settings.TryGetValue("Storage:DatabaseMemoryLimitMiB", out var mib) && int.Parse(mib, System.Globalization.CultureInfo.InvariantCulture) > 0
                ? int.Parse(mib, System.Globalization.CultureInfo.InvariantCulture)
                : null;
            using var store = DuckDbEventStore.Open(path, memoryLimitMiB: limit);
            long offset = 0;
            for (var written = 0L; written < args.Events;)
            {
                var batch = new IngestBatch();
                foreach (var message in router.Take(Math.Min(100_000, args.Events - written)))
                {
                    batch.Add(new SourcePosition("file:evaluate", 0, offset++), decoder.Decode(message.Value), null, null, DateTimeOffset.UtcNow);
                }
                written += batch.Count;
                store.Write(batch);
            }
            var asOf = start.AddSeconds(args.Events / 100.0 + 1);
            var book = PriceBook.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "pricing.json")), "pricing.json");
            var experiment = ExperimentCatalog.Defaults(TrafficScenario.DefaultExperiment) with { BaselineEndpoint = "legacy", CanaryEndpoint = "holy_sheep" };
            var reader = new ExperimentSampleReader(store.Connection, () => book);
            var evaluator = ExperimentEvaluator.CreateDefault();
            Console.WriteLine($"evaluate: {args.Events:N0} synthetic messages stored, {Environment.ProcessorCount} cores; one experiment, all of it in the window");
            for (var round = 1; round <= 3; round++)
            {
                var watch = Stopwatch.StartNew();
                var sample = reader.Read(experiment, asOf);
                var read = watch.Elapsed.TotalSeconds;
                watch.Restart();
                var verdict = evaluator.Evaluate(experiment, sample, null);
                var judged = watch.Elapsed.TotalSeconds;
                Console.WriteLine($"round {round}: read window {read:F2} s ({sample.Baseline.Requests + sample.Canary.Requests:N0} requests, {sample.Validation.Events:N0} validations, {sample.Baseline.Cost.Priced + sample.Canary.Cost.Priced:N0} priced), judge {judged:F2} s ({verdict.Checks.Count} checks): {verdict.Decision}");
            }
            ComparePlanning(experiment, reader.Read(experiment, asOf));
        }
        finally
        {
            if (!args.Keep)
            {
                Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
            }
        }
        return 0;
    }

    /// <summary>The cost of <c>estimate.plan</c> on a waiting verdict, judged on one window: without a plan (the peer),
    /// planned afresh at every evaluation (a new evaluator each time, as before plans were remembered) and with the plan
    /// remembered (one evaluator kept, as the worker keeps it: the plan is reused while its inputs stay within 10 %).
    /// Interleaved, so that a machine whose load varies weighs on the three alike; medians of seven judgements each,
    /// after a warm-up, in process CPU time (what a loaded machine distorts least) and wall time.</summary>
    private static void ComparePlanning(ExperimentDefinition experiment, ExperimentSample sample)
    {
        const int repeats = 7;
        static (double Cpu, double Wall) Time(ExperimentEvaluator evaluator, ExperimentDefinition experiment, ExperimentSample sample)
        {
            var cpu = Environment.CpuUsage.TotalTime;
            var watch = Stopwatch.StartNew();
            evaluator.Evaluate(experiment, sample, null);
            return ((Environment.CpuUsage.TotalTime - cpu).TotalSeconds, watch.Elapsed.TotalSeconds);
        }
        var plain = ExperimentEvaluator.CreateDefault(planWhileWaiting: false);
        var kept = ExperimentEvaluator.CreateDefault();
        Time(plain, experiment, sample);
        var first = kept.Evaluate(experiment, sample, null);
        if (first.Estimate?.Plan is null)
        {
            Console.WriteLine($"planning: the verdict is {first.Decision} without estimate.plan; nothing to compare");
            return;
        }
        var times = Enumerable.Range(0, repeats).Select(_ => (
            Without: Time(plain, experiment, sample),
            Afresh: Time(ExperimentEvaluator.CreateDefault(), experiment, sample),
            Remembered: Time(kept, experiment, sample))).ToList();
        static (double Cpu, double Wall) Median(IEnumerable<(double Cpu, double Wall)> seconds) =>
            (seconds.Select(s => s.Cpu).Order().ElementAt(repeats / 2), seconds.Select(s => s.Wall).Order().ElementAt(repeats / 2));
        var without = Median(times.Select(t => t.Without));
        var afresh = Median(times.Select(t => t.Afresh));
        var remembered = Median(times.Select(t => t.Remembered));
        string Figure((double Cpu, double Wall) t) =>
            $"{t.Cpu:F3} s CPU ({t.Cpu / without.Cpu:F2}x), {t.Wall:F3} s wall ({t.Wall / without.Wall:F2}x)";
        Console.WriteLine($"planning ({first.Decision}, plan for the {first.Estimate.Plan.Stage} % stage, medians of {repeats}, interleaved):");
        Console.WriteLine($"  judge without plan            {without.Cpu:F3} s CPU, {without.Wall:F3} s wall");
        Console.WriteLine($"  plan computed every time      {Figure(afresh)}");
        Console.WriteLine($"  plan remembered (kept)        {Figure(remembered)}; {kept.Plans.Computed} computed, {kept.Plans.Reused} reused");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
