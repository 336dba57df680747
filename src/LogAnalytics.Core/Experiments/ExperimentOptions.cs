using System.Globalization;

namespace LogAnalytics.Experiments;

/// <summary>Configuration section <c>Experiments</c>: the canary experiments to judge. An experiment seen in events but
/// not configured is judged with <see cref="ExperimentDefaults"/> (and its verdict says so).</summary>
public sealed class ExperimentsOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Experiments";

    /// <summary><c>Experiments:EvaluationIntervalSeconds</c>: how often the worker re-evaluates every experiment and
    /// publishes its verdict. Default 30.</summary>
    public int EvaluationIntervalSeconds { get; set; } = ExperimentDefaults.EvaluationIntervalSeconds;

    /// <summary><c>Experiments:Items</c>: the experiments.</summary>
    public List<ExperimentOptions> Items { get; set; } = new();
}

/// <summary>One experiment: <c>Experiments:Items:N:*</c>.</summary>
public sealed class ExperimentOptions
{
    /// <summary><c>Id</c>: matches the events' <c>experiment</c> field; <c>default</c> is the experiment of events without one.</summary>
    public string Id { get; set; } = "";

    /// <summary><c>BaselineEndpoint</c>: the endpoint traffic moves away from (decides the side of events without <c>variant</c>).</summary>
    public string? BaselineEndpoint { get; set; }

    /// <summary><c>CanaryEndpoint</c>: the endpoint traffic moves to.</summary>
    public string? CanaryEndpoint { get; set; }

    /// <summary><c>Stages</c>: canary weights in percent, ascending. Default 5, 25, 50, 100.</summary>
    public double[]? Stages { get; set; }

    /// <summary><c>MinDwell</c>: minimum time at each stage, one per stage (<c>48h</c>, <c>7d</c>, <c>30m</c> or
    /// <c>d.hh:mm:ss</c>). Default 48h, 7d, 48h, 0.</summary>
    public string[]? MinDwell { get; set; }

    /// <summary><c>MinSamples</c>: minimum requests per endpoint in the window before go. Default 1000.</summary>
    public int? MinSamples { get; set; }

    /// <summary><c>Alpha</c>: the error rate the decision keeps, however often it is evaluated. Default 0.05.</summary>
    public double? Alpha { get; set; }

    /// <summary><c>SrmTolerance</c>: how far the canary's share may stray from the stage weight, relative to the weight,
    /// before a sample ratio mismatch blocks (0.1: a 5 % stage tolerates 4.5–5.5 %). Only a mismatch that is both real
    /// (the sequential SRM test rejects) and larger than this blocks. Default 0.1.</summary>
    public double? SrmTolerance { get; set; }

    /// <summary><c>CurrentStage</c>: the stage (percent) when no stage event has been seen. Default: the first stage.</summary>
    public double? CurrentStage { get; set; }

    /// <summary><c>CurrentStageStart</c>: when <see cref="CurrentStage"/> began (ISO-8601), if no stage event says.
    /// Default: the first event of the experiment.</summary>
    public DateTimeOffset? CurrentStageStart { get; set; }

    /// <summary><c>Metrics</c>: the guardrails. Default: every metric in <see cref="MetricNames"/> with its default margin.</summary>
    public List<MetricOptions>? Metrics { get; set; }
}

/// <summary>One guardrail: <c>Experiments:Items:N:Metrics:M:*</c>.</summary>
public sealed class MetricOptions
{
    /// <summary><c>Name</c>: one of <see cref="MetricNames"/>.</summary>
    public string Name { get; set; } = "";

    /// <summary><c>Margin</c>: how much worse the canary may be and still pass (non-inferiority margin):
    /// relative for latency metrics (0.10 = 10 % slower), absolute for rates (0.005 = half a percentage point).</summary>
    public double? Margin { get; set; }

    /// <summary><c>Direction</c>: <c>lower_is_better</c> (latency, errors, cost) or <c>higher_is_better</c>
    /// (validation_match_rate). Default per metric.</summary>
    public string? Direction { get; set; }

    /// <summary><c>Threshold</c>: for <c>validation_match_rate</c>, the match rate the canary must be shown to exceed
    /// (its lower bound above it) to go; a rate clearly below it is no_go. Default 0.98.</summary>
    public double? Threshold { get; set; }

    /// <summary><c>Enabled</c>: false drops the metric from the verdict. Default true.</summary>
    public bool Enabled { get; set; } = true;
}

/// <summary>The metric names used in configuration and in the verdict's checks.</summary>
public static class MetricNames
{
    /// <summary>Median latency.</summary>
    public const string LatencyP50 = "latency_p50";
    /// <summary>95th percentile latency.</summary>
    public const string LatencyP95 = "latency_p95";
    /// <summary>99th percentile latency.</summary>
    public const string LatencyP99 = "latency_p99";
    /// <summary>The whole latency distribution (Mann-Whitney U, Hodges-Lehmann shift).</summary>
    public const string LatencyDistribution = "latency_distribution";
    /// <summary>Share of requests that failed (status 0 or >= 400, or a logged transport error).</summary>
    public const string ErrorRate = "error_rate";
    /// <summary>Mean cost of a request in USD (the event's cost_usd, else tokens × the price book).</summary>
    public const string CostPerRequest = "cost_per_request";
    /// <summary>Share of shadow-validation events where every check matched (an absolute threshold, not a comparison).</summary>
    public const string ValidationMatchRate = "validation_match_rate";
    /// <summary>Median time to first token (events with <c>ttft_ms</c>).</summary>
    public const string TtftP50 = "ttft_p50";
    /// <summary>95th percentile time to first token (events with <c>ttft_ms</c>).</summary>
    public const string TtftP95 = "ttft_p95";
    /// <summary>Median of latency_ms / completion_tokens (events with completion tokens): latency with output length taken out.</summary>
    public const string LatencyPerOutputToken = "latency_per_output_token";
}

/// <summary>The default settings of one metric.</summary>
/// <param name="Margin">The non-inferiority margin.</param>
/// <param name="Relative">Whether the margin is a relative change (else an absolute difference).</param>
/// <param name="HigherIsBetter">Whether a larger value is better.</param>
/// <param name="Threshold">For threshold metrics (validation_match_rate), the bar the canary must clear.</param>
/// <param name="NeedsOptionalData">True when the metric needs data not every router sends (token counts or cost,
/// validation events): as a default guardrail it is left out of a verdict while the experiment has no such data,
/// and the verdict says so; configured explicitly it waits for that data.</param>
public sealed record MetricDefault(double Margin, bool Relative, bool HigherIsBetter = false, double? Threshold = null, bool NeedsOptionalData = false);

/// <summary>Defaults of every experiment setting (one place).</summary>
public static class ExperimentDefaults
{
    /// <summary>The experiment of events without an <c>experiment</c> field.</summary>
    public const string DefaultExperimentId = "default";
    /// <summary>Seconds between evaluations.</summary>
    public const int EvaluationIntervalSeconds = 30;
    /// <summary>Stage weights in percent.</summary>
    public static readonly IReadOnlyList<double> Stages = [5, 25, 50, 100];
    /// <summary>Minimum dwell per default stage.</summary>
    public static readonly IReadOnlyList<TimeSpan> MinDwell = [TimeSpan.FromHours(48), TimeSpan.FromDays(7), TimeSpan.FromHours(48), TimeSpan.Zero];
    /// <summary>Minimum requests per endpoint.</summary>
    public const int MinSamples = 1000;
    /// <summary>Significance level.</summary>
    public const double Alpha = 0.05;
    /// <summary>SRM alarm threshold for the chi-square p-value.</summary>
    public const double SrmAlpha = 0.001;
    /// <summary>Relative SRM tolerance (0.1 of the weight).</summary>
    public const double SrmTolerance = 0.1;

    /// <summary>Default guardrails: margin, scale, direction and threshold.</summary>
    public static readonly IReadOnlyDictionary<string, MetricDefault> Metrics = new Dictionary<string, MetricDefault>
    {
        [MetricNames.LatencyP50] = new(0.10, true),
        [MetricNames.LatencyP95] = new(0.10, true),
        [MetricNames.LatencyP99] = new(0.10, true),
        [MetricNames.LatencyDistribution] = new(0.10, true),
        [MetricNames.ErrorRate] = new(0.005, false),
        [MetricNames.CostPerRequest] = new(0.05, true, NeedsOptionalData: true),
        [MetricNames.ValidationMatchRate] = new(0, false, HigherIsBetter: true, Threshold: 0.98, NeedsOptionalData: true),
        [MetricNames.TtftP50] = new(0.10, true, NeedsOptionalData: true),
        [MetricNames.TtftP95] = new(0.10, true, NeedsOptionalData: true),
        [MetricNames.LatencyPerOutputToken] = new(0.10, true, NeedsOptionalData: true),
    };

    /// <summary>Parses a duration: <c>48h</c>, <c>7d</c>, <c>30m</c>, <c>90s</c>, or .NET's <c>d.hh:mm:ss</c>.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan value)
    {
        value = TimeSpan.Zero;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }
        text = text.Trim();
        var unit = char.ToLowerInvariant(text[^1]);
        if (unit is 'd' or 'h' or 'm' or 's' && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var n) && n >= 0)
        {
            value = unit switch { 'd' => TimeSpan.FromDays(n), 'h' => TimeSpan.FromHours(n), 'm' => TimeSpan.FromMinutes(n), _ => TimeSpan.FromSeconds(n) };
            return true;
        }
        return TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out value) && value >= TimeSpan.Zero;
    }
}
