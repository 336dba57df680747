using LogAnalytics.Evaluation.Simulation;
using MathNet.Numerics.Distributions;

namespace LogAnalytics.Tests.Evaluation;

/// <summary>
/// The verdict engine keeps its error rates although it re-evaluates continuously: seeded experiments evaluated at 20
/// looks each, through the real checks, sequential judge, Holm and policy. Smaller runs than `loganalytics simulate`
/// (which prints the full figures); each claim is asserted with a binomial bound at the run's size.
/// Volumes: 2,000 requests per look at a 25 % stage, so ~10,000 canary and ~30,000 baseline requests by the last look.
/// </summary>
public sealed class SequentialSimulationTests
{
    private const double Alpha = 0.05;

    private static SimulationSettings Settings(int experiments, int seed) =>
        new() { Experiments = experiments, Looks = 20, RequestsPerLook = 2000, CanaryWeightPercent = 25, Seed = seed };

    /// <summary>The largest count a true rate of <paramref name="p"/> exceeds with probability at most 1 %.</summary>
    private static int UpperBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) >= 0.99);

    /// <summary>The smallest count a true rate of <paramref name="p"/> falls below with probability at most 1 %.</summary>
    private static int LowerBound(int n, double p) => Enumerable.Range(0, n + 1).First(k => Binomial.CDF(p, n, k) > 0.01);

    [Fact]
    public void AA_experiments_evaluated_at_20_looks_reach_no_go_at_most_alpha_of_the_time_while_naive_repeated_tests_do_not()
    {
        var result = SequentialSimulation.Run(Settings(40, seed: 101), CanaryEffect.None);
        Assert.Equal(20, result.Looks);
        Assert.True(result.EverNoGo <= UpperBound(result.Experiments, Alpha),
            $"A/A false no_go {result.EverNoGo}/{result.Experiments}; a 5 % rate would stay at or below {UpperBound(result.Experiments, Alpha)}");
        // Why the correction exists: a fixed-horizon test repeated at every look "finds" a worse canary far more often.
        Assert.True(result.NaiveFixedHorizonRejections > UpperBound(result.Experiments, Alpha),
            $"naive repeated test fired in {result.NaiveFixedHorizonRejections}/{result.Experiments}");
        // And healthy canaries do get promoted.
        Assert.True(result.EverGo > result.Experiments / 2, $"go in {result.EverGo}/{result.Experiments}");
    }

    [Fact]
    public void A_canary_with_30_percent_higher_p99_is_caught_with_at_least_90_percent_power()
    {
        var result = SequentialSimulation.Run(Settings(40, seed: 202), new CanaryEffect("p99 +30 %", TailFactor: 1.3));
        Assert.True(result.EverNoGo >= LowerBound(result.Experiments, 0.90),
            $"caught {result.EverNoGo}/{result.Experiments}; 90 % power would give at least {LowerBound(result.Experiments, 0.90)}");
        Assert.Equal(0, result.EverGo);
    }

    [Fact]
    public void A_canary_with_three_times_the_error_rate_is_caught_with_at_least_90_percent_power()
    {
        var result = SequentialSimulation.Run(Settings(30, seed: 303), new CanaryEffect("errors x3", ErrorFactor: 3));
        Assert.True(result.EverNoGo >= LowerBound(result.Experiments, 0.90),
            $"caught {result.EverNoGo}/{result.Experiments}; 90 % power would give at least {LowerBound(result.Experiments, 0.90)}");
        Assert.Equal(0, result.EverGo);
    }

    [Fact]
    public void A_degradation_exactly_at_the_margin_reaches_no_go_at_most_alpha_of_the_time()
    {
        // p99 +10 % against the default 10 % margin: the hardest case for the error guarantee.
        var result = SequentialSimulation.Run(Settings(40, seed: 404), new CanaryEffect("p99 at margin", TailFactor: 1.1));
        Assert.True(result.EverNoGo <= UpperBound(result.Experiments, Alpha),
            $"no_go at the margin {result.EverNoGo}/{result.Experiments}; a 5 % rate would stay at or below {UpperBound(result.Experiments, Alpha)}");
    }
}
