using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

namespace LogAnalytics.Evaluation.Simulation;

/// <summary>How a simulated canary differs from its baseline.</summary>
/// <param name="Name">A label for the printout.</param>
/// <param name="TailFactor">Multiplies the canary's p99 (1 = unchanged) by stretching latencies above the baseline's
/// p90, so the body stays the same and only the tail regresses.</param>
/// <param name="ErrorFactor">Multiplies the canary's error rate (1 = unchanged).</param>
/// <param name="LatencyFactor">Multiplies every canary latency (1 = unchanged; 1.1 sits exactly on the default 10 %
/// latency margins).</param>
/// <param name="ErrorDelta">Added to the canary's error rate after <paramref name="ErrorFactor"/> (0.005 sits exactly on
/// the default error_rate margin).</param>
public sealed record CanaryEffect(string Name, double TailFactor = 1, double ErrorFactor = 1, double LatencyFactor = 1, double ErrorDelta = 0)
{
    /// <summary>An A/A experiment: the canary is the baseline.</summary>
    public static CanaryEffect None { get; } = new("A/A");
}

/// <summary>Settings of a simulation run (seed-like volumes by default: 5 % canary, ~4,000 requests an hour, evaluated
/// hourly over the default 48 h dwell of the 5 % stage).</summary>
public sealed record SimulationSettings
{
    /// <summary>How many experiments to simulate.</summary>
    public int Experiments { get; init; } = 500;
    /// <summary>How many times each experiment is evaluated as its data grows.</summary>
    public int Looks { get; init; } = 48;
    /// <summary>Requests (both sides) arriving between looks.</summary>
    public int RequestsPerLook { get; init; } = 4000;
    /// <summary>Canary weight in percent.</summary>
    public double CanaryWeightPercent { get; init; } = 5;
    /// <summary>Baseline error rate.</summary>
    public double BaselineErrorRate { get; init; } = 0.015;
    /// <summary>Median latency in ms (lognormal body).</summary>
    public double MedianLatencyMs { get; init; } = 800;
    /// <summary>Lognormal sigma of latency.</summary>
    public double LatencySigma { get; init; } = 0.5;
    /// <summary>Seed of the run.</summary>
    public int Seed { get; init; } = 20261124;
}

/// <summary>What a simulation run found.</summary>
/// <param name="Effect">The canary effect simulated.</param>
/// <param name="Experiments">Experiments simulated.</param>
/// <param name="Looks">Evaluations per experiment.</param>
/// <param name="EverNoGo">Experiments that reached no_go at some look.</param>
/// <param name="EverGo">Experiments that reached go at some look.</param>
/// <param name="NaiveFixedHorizonRejections">Experiments where a naive fixed-horizon test (any guardrail's p &lt; alpha
/// with the canary worse) fired at some look: what repeated looks do without correction.</param>
/// <param name="FinalCanarySamples">Mean canary requests at the last look.</param>
public sealed record SimulationResult(CanaryEffect Effect, int Experiments, int Looks, int EverNoGo, int EverGo, int NaiveFixedHorizonRejections, double FinalCanarySamples)
{
    /// <summary>Share of experiments that reached no_go.</summary>
    public double NoGoRate => (double)EverNoGo / Experiments;
    /// <summary>Share that reached go.</summary>
    public double GoRate => (double)EverGo / Experiments;
    /// <summary>Share the naive repeated fixed-horizon test flagged.</summary>
    public double NaiveRate => (double)NaiveFixedHorizonRejections / Experiments;
}

/// <summary>
/// Simulates experiments evaluated again and again as data grows, through the real evaluator (checks, sequential judge,
/// Holm, policy), to show the decision keeps its error rates under continuous evaluation: an A/A experiment reaches
/// no_go at most alpha of the time, and a real regression is caught. Pure and seeded.
/// </summary>
public static class SequentialSimulation
{
    /// <summary>Runs <paramref name="settings"/> with the canary changed by <paramref name="effect"/>.</summary>
    public static SimulationResult Run(SimulationSettings settings, CanaryEffect effect, ExperimentDefinition? experiment = null)
    {
        var definition = experiment ?? ExperimentCatalog.Defaults("simulation") with
        {
            MinDwell = [TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero],
            MinSamples = 1,
            UsesDefaults = false,
        };
        var evaluator = ExperimentEvaluator.CreateDefault(planWhileWaiting: false);
        var start = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var body = LogNormal.WithMuSigma(Math.Log(settings.MedianLatencyMs), settings.LatencySigma);
        var q90 = body.InverseCumulativeDistribution(0.90);
        var q99 = body.InverseCumulativeDistribution(0.99);
        var stretch = effect.TailFactor == 1 ? 1 : (effect.TailFactor * q99 - q90) / (q99 - q90);
        var outcomes = new (bool NoGo, bool Go, bool Naive, int Canary)[settings.Experiments];
        Parallel.For(0, settings.Experiments, e =>
        {
            var random = new Xoshiro256StarStar(settings.Seed + e * 7919, threadSafe: false);
            var baseline = Array.Empty<double>();
            var canary = Array.Empty<double>();
            long baselineErrors = 0, canaryErrors = 0;
            PreviousDecision? previous = null;
            bool sawNoGo = false, sawGo = false, sawNaive = false;
            var newBaseline = new List<double>();
            var newCanary = new List<double>();
            for (var look = 1; look <= settings.Looks; look++)
            {
                newBaseline.Clear();
                newCanary.Clear();
                for (var i = 0; i < settings.RequestsPerLook; i++)
                {
                    var isCanary = random.NextDouble() * 100 < settings.CanaryWeightPercent;
                    var latency = Math.Exp(Math.Log(settings.MedianLatencyMs) + settings.LatencySigma * Normal.Sample(random, 0, 1));
                    if (isCanary)
                    {
                        newCanary.Add(effect.LatencyFactor * (latency > q90 ? q90 + (latency - q90) * stretch : latency));
                        if (random.NextDouble() < settings.BaselineErrorRate * effect.ErrorFactor + effect.ErrorDelta)
                        {
                            canaryErrors++;
                        }
                    }
                    else
                    {
                        newBaseline.Add(latency);
                        if (random.NextDouble() < settings.BaselineErrorRate)
                        {
                            baselineErrors++;
                        }
                    }
                }
                baseline = MergeSorted(baseline, newBaseline);
                canary = MergeSorted(canary, newCanary);
                var asOf = start.AddHours(look);
                var sample = new ExperimentSample
                {
                    Experiment = definition.Id,
                    AsOf = asOf,
                    Stage = new StageInfo(settings.CanaryWeightPercent, start, StageSource.Configuration),
                    Baseline = Arm(baseline, baselineErrors),
                    Canary = Arm(canary, canaryErrors),
                };
                var verdict = evaluator.Evaluate(definition, sample, previous);
                previous = VerdictMemory.Next(previous, verdict);
                sawNoGo |= verdict.Decision == Decisions.NoGo;
                sawGo |= verdict.Decision == Decisions.Go;
                sawNaive |= verdict.Checks.Any(c => c.PValue < definition.Alpha && c.RelativeChange > 0);
            }
            outcomes[e] = (sawNoGo, sawGo, sawNaive, canary.Length);
        });
        var noGo = outcomes.Count(o => o.NoGo);
        var go = outcomes.Count(o => o.Go);
        var naive = outcomes.Count(o => o.Naive);
        var finalCanary = outcomes.Sum(o => (double)o.Canary);
        return new SimulationResult(effect, settings.Experiments, settings.Looks, noGo, go, naive, finalCanary / settings.Experiments);
    }

    private static ArmSample Arm(double[] sorted, long errors) =>
        new(["simulated"], sorted, new Dictionary<string, long> { ["server"] = errors });

    /// <summary>The sorted union of a sorted array and new values (sorted here): O(n) per look instead of a full sort.</summary>
    private static double[] MergeSorted(double[] sorted, List<double> added)
    {
        added.Sort();
        var merged = new double[sorted.Length + added.Count];
        int i = 0, j = 0, k = 0;
        while (i < sorted.Length && j < added.Count)
        {
            merged[k++] = sorted[i] <= added[j] ? sorted[i++] : added[j++];
        }
        while (i < sorted.Length)
        {
            merged[k++] = sorted[i++];
        }
        while (j < added.Count)
        {
            merged[k++] = added[j++];
        }
        return merged;
    }
}
