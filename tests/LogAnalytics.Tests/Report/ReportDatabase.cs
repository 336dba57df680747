using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;
using LogAnalytics.Storage;
using LogAnalytics.Verdicts;
using LogAnalytics.Tests.Verdicts;

namespace LogAnalytics.Tests.Report;

/// <summary>A DuckDB file with four experiments, written once per test class: "checkout" (both sides, errors of every
/// class, costs, shadow validation, stored verdicts across a stage change from 5 % to 25 %), "empty" (configured, no
/// event), "baseline-only" (no canary yet) and "no-cost" (both sides, no cost or token counts).</summary>
public sealed class ReportDatabase : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 11, 20, 0, 0, 0, TimeSpan.Zero);
    public static readonly DateTimeOffset End = Start.AddHours(6);

    public string Directory { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "loganalytics-report-" + Guid.NewGuid().ToString("N"));
    public string Path => System.IO.Path.Combine(Directory, "report.duckdb");

    public ExperimentsOptions Settings { get; } = new()
    {
        Items =
        [
            new ExperimentOptions { Id = "checkout", BaselineEndpoint = "legacy", CanaryEndpoint = "holy_sheep", Stages = [5, 25, 50, 100], MinDwell = ["1h", "1h", "1h", "0s"], MinSamples = 100 },
            new ExperimentOptions { Id = "empty", BaselineEndpoint = "old", CanaryEndpoint = "new" },
            new ExperimentOptions { Id = "baseline-only", BaselineEndpoint = "old", CanaryEndpoint = "new" },
            new ExperimentOptions { Id = "no-cost", BaselineEndpoint = "old", CanaryEndpoint = "new", MinSamples = 100 },
        ],
    };

    public ReportDatabase()
    {
        System.IO.Directory.CreateDirectory(Directory);
        using var store = DuckDbEventStore.Open(Path);
        var random = new Random(20261120);
        var events = new List<TrafficEvent>();
        events.Add(new StageEvent { Timestamp = Start, Experiment = "checkout", WeightPercent = 5 });
        events.Add(new StageEvent { Timestamp = Start.AddHours(3), Experiment = "checkout", WeightPercent = 25 });
        for (var i = 0; i < 6000; i++)
        {
            var at = Start.AddSeconds(i * 6 * 3600.0 / 6000);
            var canaryShare = at < Start.AddHours(3) ? 0.05 : 0.25;
            var canary = random.NextDouble() < canaryShare;
            var model = canary ? (random.NextDouble() < 0.7 ? "gpt-4.1-mini" : "gpt-4.1") : "gpt-4.1";
            var latency = Math.Exp(Math.Log(canary ? 450 : 400) + 0.6 * Normal(random));
            var status = Status(random, canary);
            events.Add(new RequestEvent
            {
                Timestamp = at, Experiment = "checkout", Endpoint = canary ? "holy_sheep" : "legacy", Variant = canary ? "canary" : "baseline",
                Model = model, LatencyMs = Math.Round(latency, 1), StatusCode = status, ErrorType = status == 0 ? "transport" : null,
                PromptTokens = status == 200 ? 500 + random.Next(200) : null, CompletionTokens = status == 200 ? 150 + random.Next(100) : null,
                CostUsd = status == 200 ? (model == "gpt-4.1" ? 0.004 : 0.0012) * (0.8 + 0.4 * random.NextDouble()) : null,
            });
            if (canary && status == 200)
            {
                var sim = Math.Min(1, Math.Max(0, 0.97 - Math.Abs(0.05 * Normal(random))));
                events.Add(new ValidationEvent
                {
                    Timestamp = at.AddMilliseconds(1), Experiment = "checkout", RequestId = "r" + i, Endpoint = "holy_sheep",
                    ContentMatch = random.NextDouble() < 0.985, FinishReasonMatch = true, Similarity = Math.Round(sim, 4),
                });
            }
        }
        for (var i = 0; i < 400; i++)
        {
            var at = Start.AddSeconds(i * 30);
            events.Add(new RequestEvent { Timestamp = at, Experiment = "baseline-only", Endpoint = "old", LatencyMs = 200 + random.Next(300), StatusCode = 200, Model = "m" });
            events.Add(new RequestEvent
            {
                Timestamp = at.AddSeconds(1), Experiment = "no-cost", Endpoint = i % 5 == 0 ? "new" : "old", LatencyMs = 200 + random.Next(300),
                StatusCode = i % 50 == 0 ? 500 : 200, Model = "m",
            });
        }
        var batch = new IngestBatch();
        for (var i = 0; i < events.Count; i++)
        {
            batch.Add(new SourcePosition("report-test", 0, i), DecodeResult.Accept(events[i]), null, null, End);
        }
        store.Write(batch);

        // The worker's verdict log: an evaluation every 20 minutes.
        var service = new VerdictService(store.Connection, Settings, ExperimentEvaluator.CreateDefault());
        for (var at = Start.AddMinutes(20); at <= End; at = at.AddMinutes(20))
        {
            service.Record(VerdictContract.AssertValid(service.Evaluate("checkout", at)));
        }
    }

    private static int Status(Random random, bool canary)
    {
        var u = random.NextDouble();
        return u switch
        {
            < 0.010 => 500,
            < 0.018 => 429,
            < 0.022 => 0,
            < 0.025 => 504,
            _ when canary && u < 0.035 => 401,
            _ when canary && u < 0.040 => 404,
            _ => 200,
        };
    }

    private static double Normal(Random random) => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder left behind is harmless.
        }
    }
}
