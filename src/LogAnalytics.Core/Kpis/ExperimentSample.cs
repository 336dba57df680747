namespace LogAnalytics.Kpis;

/// <summary>What one side of an experiment did in the evaluation window.</summary>
/// <param name="Endpoints">The endpoint names seen on this side.</param>
/// <param name="LatenciesMs">Every request's latency, sorted ascending.</param>
/// <param name="ErrorsByClass">Failed requests per error class (see sql/migrations/0002: timeout_transport, rate_limit,
/// auth, bad_request, client_other, server, other).</param>
public sealed record ArmSample(IReadOnlyList<string> Endpoints, double[] LatenciesMs, IReadOnlyDictionary<string, long> ErrorsByClass)
{
    /// <summary>Requests on this side.</summary>
    public long Requests => LatenciesMs.Length;

    /// <summary>Failed requests (all classes).</summary>
    public long Errors => ErrorsByClass.Values.Sum();

    /// <summary>Failed share; 0 without requests.</summary>
    public double ErrorRate => Requests == 0 ? 0 : (double)Errors / Requests;

    /// <summary>The Retry-After (ms) of the rate-limited requests that logged one, sorted ascending. Default: none.</summary>
    public double[] RetryAfterMs { get; init; } = [];

    /// <summary>What the requests cost (priced and unpriced). Default: no cost data.</summary>
    public ArmCost Cost { get; init; } = ArmCost.Empty;

    /// <summary>Time to first token (ms) of the requests that report <c>ttft_ms</c>, sorted ascending. Default: none.</summary>
    public double[] TtftMs { get; init; } = [];

    /// <summary>Latency per output token (latency_ms / completion_tokens, ms) of the requests that report at least one
    /// completion token, sorted ascending. Default: none.</summary>
    public double[] MsPerOutputToken { get; init; } = [];

    /// <summary>The same side split by the request's <c>model</c> (requests without one under
    /// <see cref="ModelStrata.NoModel"/>); each part has its latencies, errors, TTFT and per-token latency (no cost).
    /// Empty when the sample was built without models.</summary>
    public IReadOnlyDictionary<string, ArmSample> ByModel { get; init; } = new Dictionary<string, ArmSample>();

    /// <summary>No requests.</summary>
    public static ArmSample Empty { get; } = new([], [], new Dictionary<string, long>());
}

/// <summary>Where the current stage came from.</summary>
public enum StageSource
{
    /// <summary>A <c>kind: "stage"</c> event from rollout tooling.</summary>
    Event,
    /// <summary><c>Experiments:Items:N:CurrentStage</c>.</summary>
    Configuration,
    /// <summary>Nothing said: the first configured stage.</summary>
    FirstStage,
}

/// <summary>The current stage of an experiment.</summary>
/// <param name="WeightPercent">The canary's weight in percent.</param>
/// <param name="StartedAt">When the stage began; the evaluation window starts here.</param>
/// <param name="Source">Who said so.</param>
public sealed record StageInfo(double WeightPercent, DateTimeOffset StartedAt, StageSource Source);

/// <summary>Everything the evaluator needs about one experiment as of a time: pure data, read from DuckDB by
/// <see cref="ExperimentSampleReader"/> or built by simulations.</summary>
public sealed record ExperimentSample
{
    /// <summary>The experiment.</summary>
    public required string Experiment { get; init; }
    /// <summary>The time the sample is as of (window end).</summary>
    public required DateTimeOffset AsOf { get; init; }
    /// <summary>The current stage.</summary>
    public required StageInfo Stage { get; init; }
    /// <summary>Baseline side.</summary>
    public required ArmSample Baseline { get; init; }
    /// <summary>Canary side.</summary>
    public required ArmSample Canary { get; init; }
    /// <summary>Requests in the window that neither a variant nor the configured endpoint names put on a side.</summary>
    public long Unassigned { get; init; }
    /// <summary>Endpoints of the unassigned requests.</summary>
    public IReadOnlyList<string> UnassignedEndpoints { get; init; } = [];
    /// <summary>The canary's shadow-validation results in the window. Default: none.</summary>
    public ValidationSample Validation { get; init; } = ValidationSample.Empty;
}
