namespace LogAnalytics.SyntheticTraffic;

/// <summary>
/// What the synthetic router simulates: a baseline and a canary endpoint, the canary weight it announces, and the
/// share it really sends to the canary. Immutable; the named presets below are starting points, and a new scenario
/// is a preset with a few properties changed (<c>TrafficScenario.Healthy with { Canary = ... }</c>).
/// </summary>
public sealed record TrafficScenario
{
    /// <summary>The experiment name written in every event. Default <c>holy_sheep_rollout</c>.</summary>
    public const string DefaultExperiment = "holy_sheep_rollout";

    /// <summary>The canary weight announced by default: 5 %.</summary>
    public const double DefaultWeightPercent = 5;

    /// <summary>The scenario's name, e.g. <c>healthy</c>; presets are found by it with <see cref="TryGetPreset"/>.</summary>
    public required string Name { get; init; }

    /// <summary>One line saying what the scenario shows.</summary>
    public required string Description { get; init; }

    /// <summary>The endpoint traffic moves away from (<c>variant: "baseline"</c>).</summary>
    public required EndpointProfile Baseline { get; init; }

    /// <summary>The endpoint traffic moves to (<c>variant: "canary"</c>).</summary>
    public required EndpointProfile Canary { get; init; }

    /// <summary>The canary weight in percent that the rollout announces (in the <c>kind: "stage"</c> event).
    /// Default <see cref="DefaultWeightPercent"/>.</summary>
    public double WeightPercent { get; init; } = DefaultWeightPercent;

    /// <summary>The share in percent the router really sends to the canary; <see langword="null"/> (the default) means
    /// the announced <see cref="WeightPercent"/>. Differs from it in the sample-ratio-mismatch scenario.</summary>
    public double? ActualWeightPercent { get; init; }

    /// <summary>The experiment name written in every event. Default <see cref="DefaultExperiment"/>.</summary>
    public string Experiment { get; init; } = DefaultExperiment;

    /// <summary>The canary share in effect: <see cref="ActualWeightPercent"/>, or the announced weight.</summary>
    public double EffectiveWeightPercent => ActualWeightPercent ?? WeightPercent;

    /// <summary>The legacy provider as it behaves today: median 800 ms, 1 % tail, 1 % 5xx, 0.5 % 429, 0.2 % timeouts.</summary>
    public static EndpointProfile LegacyProfile { get; } = new() { Name = "legacy" };

    /// <summary>A healthy holy_sheep canary: faster (median 650 ms) and 10 % cheaper per token, with the same error
    /// rates; a shadow run compares 20 % of its answers with the baseline's, and 99.7 % match.</summary>
    public static EndpointProfile HolySheepProfile { get; } = new()
    {
        Name = "holy_sheep",
        MedianLatencyMs = 650,
        LatencySigma = 0.42,
        TailScaleMs = 2_000,
        CostPerPromptTokenUsd = 0.45e-6,
        CostPerCompletionTokenUsd = 1.35e-6,
        ShadowValidationRate = 0.2,
        AnswerMatchRate = 0.997,
    };

    /// <summary><c>healthy</c>: the canary is as good as or better than the baseline on every metric.</summary>
    public static TrafficScenario Healthy { get; } = new()
    {
        Name = "healthy",
        Description = "the canary is faster and as reliable as the baseline",
        Baseline = LegacyProfile,
        Canary = HolySheepProfile,
    };

    /// <summary><c>latency-regression</c>: the canary's tail is much slower (p99 well over 1.3 × the baseline's).</summary>
    public static TrafficScenario LatencyRegression { get; } = Healthy with
    {
        Name = "latency-regression",
        Description = "the canary's latency tail regressed: p99 far above the baseline's",
        Canary = HolySheepProfile with
        {
            MedianLatencyMs = 750,
            LatencySigma = 0.6,
            TailProbability = 0.03,
            TailScaleMs = 3_000,
        },
    };

    /// <summary><c>error-spike</c>: the canary fails four times as often as the baseline.</summary>
    public static TrafficScenario ErrorSpike { get; } = Healthy with
    {
        Name = "error-spike",
        Description = "the canary fails about four times as often as the baseline (5xx, 429, timeouts)",
        Canary = HolySheepProfile with
        {
            ServerErrorRate = 0.04,
            RateLimitRate = 0.02,
            TimeoutRate = 0.008,
        },
    };

    /// <summary><c>srm</c>: a sample ratio mismatch: 5 % is announced but the router sends 9 % to the canary.</summary>
    public static TrafficScenario SampleRatioMismatch { get; } = Healthy with
    {
        Name = "srm",
        Description = "sample ratio mismatch: 5 % announced, 9 % actually routed to the canary",
        ActualWeightPercent = 9,
    };

    /// <summary><c>cost-regression</c>: the canary is 10 % cheaper per token but answers with 2.5 × the output tokens,
    /// so each request costs more: cheaper on paper, not in traffic.</summary>
    public static TrafficScenario CostRegression { get; } = Healthy with
    {
        Name = "cost-regression",
        Description = "the canary is cheaper per token but 2.5x more verbose: each request costs more",
        Canary = HolySheepProfile with { CompletionTokenFactor = 2.5 },
    };

    /// <summary><c>wrong-answers</c>: the canary is fast and cheap, but a shadow run finds 8 % of its answers differ
    /// from the baseline's.</summary>
    public static TrafficScenario WrongAnswers { get; } = Healthy with
    {
        Name = "wrong-answers",
        Description = "the canary is fast and cheap, but shadow validation finds 8 % of its answers wrong",
        Canary = HolySheepProfile with { ShadowValidationRate = 0.5, AnswerMatchRate = 0.92 },
    };

    /// <summary>The named presets, in the order the CLI lists them.</summary>
    public static IReadOnlyList<TrafficScenario> Presets { get; } = [Healthy, LatencyRegression, ErrorSpike, SampleRatioMismatch, CostRegression, WrongAnswers];

    /// <summary>Finds a preset by name (case-insensitive).</summary>
    public static bool TryGetPreset(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TrafficScenario? scenario)
    {
        scenario = Presets.FirstOrDefault(p => string.Equals(p.Name, name?.Trim(), StringComparison.OrdinalIgnoreCase));
        return scenario is not null;
    }

    /// <summary>Throws when a profile or a weight is out of range, naming the property.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A weight outside 0..100 or an invalid profile.</exception>
    /// <exception cref="ArgumentException">Baseline and canary have the same endpoint name.</exception>
    public void Validate()
    {
        Baseline.Validate();
        Canary.Validate();
        if (string.Equals(Baseline.Name, Canary.Name, StringComparison.Ordinal))
        {
            throw new ArgumentException($"scenario {Name}: baseline and canary are both named \"{Baseline.Name}\"");
        }
        foreach (var (value, name) in new[] { (WeightPercent, nameof(WeightPercent)), (EffectiveWeightPercent, nameof(ActualWeightPercent)) })
        {
            if (!(value >= 0 && value <= 100))
            {
                throw new ArgumentOutOfRangeException(name, value, $"scenario {Name}: {name} must be within 0..100");
            }
        }
    }
}
