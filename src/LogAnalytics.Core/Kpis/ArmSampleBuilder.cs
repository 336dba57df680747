namespace LogAnalytics.Kpis;

/// <summary>The model strata of a sample: requests grouped by their <c>model</c> field.</summary>
public static class ModelStrata
{
    /// <summary>The stratum of requests that carry no model.</summary>
    public const string NoModel = "(no model)";
}

/// <summary>Collects one side's per-request figures that need more than counts (time to first token, latency per output
/// token, the model of each request) and completes an <see cref="ArmSample"/> with them: the sorted TTFT and per-token
/// arrays and the per-model parts (<see cref="ArmSample.ByModel"/>).</summary>
public sealed class ArmSampleBuilder
{
    private readonly List<double> _ttft = [];
    private readonly List<double> _perToken = [];
    private readonly Dictionary<string, Part> _models = new(StringComparer.Ordinal);

    /// <summary>Adds one request.</summary>
    /// <param name="latencyMs">Its latency.</param>
    /// <param name="errorClass">Its error class, or null when it succeeded.</param>
    /// <param name="model">Its model, or null.</param>
    /// <param name="ttftMs">Its time to first token, or null.</param>
    /// <param name="completionTokens">Its completion (output) tokens, or null.</param>
    public void Add(double latencyMs, string? errorClass, string? model, double? ttftMs, long? completionTokens)
    {
        var key = string.IsNullOrWhiteSpace(model) ? ModelStrata.NoModel : model.Trim();
        if (!_models.TryGetValue(key, out var part))
        {
            part = new Part();
            _models[key] = part;
        }
        part.Latencies.Add(latencyMs);
        if (errorClass is not null)
        {
            part.Errors[errorClass] = part.Errors.GetValueOrDefault(errorClass) + 1;
        }
        if (ttftMs is { } t && double.IsFinite(t) && t >= 0)
        {
            _ttft.Add(t);
            part.Ttft.Add(t);
        }
        if (completionTokens is > 0 && double.IsFinite(latencyMs))
        {
            var perToken = latencyMs / completionTokens.Value;
            _perToken.Add(perToken);
            part.PerToken.Add(perToken);
        }
    }

    /// <summary><paramref name="arm"/> with the TTFT, per-token and per-model figures of the requests added.</summary>
    public ArmSample Complete(ArmSample arm) => arm with
    {
        TtftMs = Sorted(_ttft),
        MsPerOutputToken = Sorted(_perToken),
        ByModel = _models.ToDictionary(kv => kv.Key, kv => kv.Value.Build(arm.Endpoints), StringComparer.Ordinal),
    };

    /// <summary>A side built from requests alone (for simulations and tests): latencies, errors and every figure above.</summary>
    public ArmSample Build(IReadOnlyList<string> endpoints)
    {
        var latencies = _models.Values.SelectMany(p => p.Latencies).ToArray();
        Array.Sort(latencies);
        var errors = new Dictionary<string, long>();
        foreach (var (cls, count) in _models.Values.SelectMany(p => p.Errors))
        {
            errors[cls] = errors.GetValueOrDefault(cls) + count;
        }
        return Complete(new ArmSample(endpoints, latencies, errors));
    }

    private static double[] Sorted(List<double> values)
    {
        var array = values.ToArray();
        Array.Sort(array);
        return array;
    }

    private sealed class Part
    {
        public List<double> Latencies { get; } = [];
        public Dictionary<string, long> Errors { get; } = new(StringComparer.Ordinal);
        public List<double> Ttft { get; } = [];
        public List<double> PerToken { get; } = [];

        public ArmSample Build(IReadOnlyList<string> endpoints) => new(endpoints, Sorted(Latencies), Errors)
        {
            TtftMs = Sorted(Ttft),
            MsPerOutputToken = Sorted(PerToken),
        };
    }
}
