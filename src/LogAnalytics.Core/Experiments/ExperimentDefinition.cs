using System.Globalization;

namespace LogAnalytics.Experiments;

/// <summary>A guardrail metric with its non-inferiority margin.</summary>
/// <param name="Metric">One of <see cref="MetricNames"/>.</param>
/// <param name="Margin">How much worse the canary may be and still pass.</param>
/// <param name="Relative">Whether <paramref name="Margin"/> is a relative change (0.10 = 10 %) or an absolute difference.</param>
/// <param name="HigherIsBetter">Whether a larger canary value is an improvement (false for latency, errors, cost).</param>
/// <param name="Threshold">For a threshold metric (validation_match_rate): the bar the canary's value must clear; the
/// margin is then unused.</param>
/// <param name="Optional">A default guardrail on data not every router sends: left out (with a reason) while the
/// experiment has none of that data.</param>
public sealed record Guardrail(string Metric, double Margin, bool Relative, bool HigherIsBetter = false, double? Threshold = null, bool Optional = false);

/// <summary>An experiment with every default filled in: what the evaluator works from.</summary>
public sealed record ExperimentDefinition
{
    /// <summary>The experiment id.</summary>
    public required string Id { get; init; }
    /// <summary>The baseline endpoint, when configured.</summary>
    public string? BaselineEndpoint { get; init; }
    /// <summary>The canary endpoint, when configured.</summary>
    public string? CanaryEndpoint { get; init; }
    /// <summary>Stage weights in percent, ascending.</summary>
    public required IReadOnlyList<double> Stages { get; init; }
    /// <summary>Minimum dwell per stage (same length as <see cref="Stages"/>).</summary>
    public required IReadOnlyList<TimeSpan> MinDwell { get; init; }
    /// <summary>Minimum requests per endpoint before go.</summary>
    public int MinSamples { get; init; } = ExperimentDefaults.MinSamples;
    /// <summary>Relative tolerance of the split before a sample ratio mismatch blocks; default 0.1.</summary>
    public double SrmTolerance { get; init; } = ExperimentDefaults.SrmTolerance;
    /// <summary>Significance level kept across all evaluations.</summary>
    public double Alpha { get; init; } = ExperimentDefaults.Alpha;
    /// <summary>Configured current stage (percent), used when no stage event has been seen.</summary>
    public double? ConfiguredStage { get; init; }
    /// <summary>Configured start of <see cref="ConfiguredStage"/>.</summary>
    public DateTimeOffset? ConfiguredStageStart { get; init; }
    /// <summary>The guardrails.</summary>
    public required IReadOnlyList<Guardrail> Guardrails { get; init; }
    /// <summary>True when the experiment was not configured and runs on defaults.</summary>
    public bool UsesDefaults { get; init; }

    /// <summary>The minimum dwell of a stage weight (the nearest configured stage's).</summary>
    public TimeSpan DwellFor(double stage)
    {
        var index = IndexOfStage(stage);
        return index >= 0 && index < MinDwell.Count ? MinDwell[index] : TimeSpan.Zero;
    }

    /// <summary>The stage after <paramref name="stage"/>, or null after the last.</summary>
    public double? NextStage(double stage)
    {
        foreach (var s in Stages)
        {
            if (s > stage + 1e-9)
            {
                return s;
            }
        }
        return null;
    }

    private int IndexOfStage(double stage)
    {
        for (var i = 0; i < Stages.Count; i++)
        {
            if (Math.Abs(Stages[i] - stage) < 1e-9)
            {
                return i;
            }
        }
        // An announced weight that is not a configured stage: use the dwell of the next stage up.
        for (var i = 0; i < Stages.Count; i++)
        {
            if (Stages[i] > stage)
            {
                return i;
            }
        }
        return Stages.Count - 1;
    }
}

/// <summary>Turns configuration into <see cref="ExperimentDefinition"/>s, filling defaults, and validates it.</summary>
public static class ExperimentCatalog
{
    /// <summary>The definition for <paramref name="id"/>: configured, or the defaults (<see cref="ExperimentDefinition.UsesDefaults"/>).</summary>
    public static ExperimentDefinition Resolve(ExperimentsOptions options, string id)
    {
        var configured = options.Items.FirstOrDefault(e => string.Equals(e.Id, id, StringComparison.Ordinal));
        return configured is null ? Defaults(id) : Build(configured);
    }

    /// <summary>A definition with every default.</summary>
    public static ExperimentDefinition Defaults(string id) => new()
    {
        Id = id,
        Stages = ExperimentDefaults.Stages,
        MinDwell = ExperimentDefaults.MinDwell,
        Guardrails = ExperimentDefaults.Metrics.Select(m => new Guardrail(m.Key, m.Value.Margin, m.Value.Relative, m.Value.HigherIsBetter, m.Value.Threshold, m.Value.NeedsOptionalData)).ToList(),
        UsesDefaults = true,
    };

    private static ExperimentDefinition Build(ExperimentOptions o)
    {
        var stages = o.Stages is { Length: > 0 } ? o.Stages : ExperimentDefaults.Stages.ToArray();
        var dwell = o.MinDwell is { Length: > 0 }
            ? o.MinDwell.Select(d => ExperimentDefaults.TryParseDuration(d, out var t) ? t : TimeSpan.Zero).ToList()
            : stages.Select((_, i) => i < ExperimentDefaults.MinDwell.Count ? ExperimentDefaults.MinDwell[i] : TimeSpan.Zero).ToList();
        var metrics = o.Metrics is { Count: > 0 }
            ? o.Metrics.Where(m => m.Enabled).Select(m =>
            {
                var d = ExperimentDefaults.Metrics.TryGetValue(m.Name, out var def) ? def : new MetricDefault(0, false);
                var higherIsBetter = m.Direction is null ? d.HigherIsBetter : string.Equals(m.Direction, "higher_is_better", StringComparison.OrdinalIgnoreCase);
                return new Guardrail(m.Name, m.Margin ?? d.Margin, d.Relative, higherIsBetter, d.Threshold is null ? null : m.Threshold ?? d.Threshold);
            }).ToList()
            : Defaults(o.Id).Guardrails;
        return new ExperimentDefinition
        {
            Id = o.Id,
            BaselineEndpoint = string.IsNullOrWhiteSpace(o.BaselineEndpoint) ? null : o.BaselineEndpoint,
            CanaryEndpoint = string.IsNullOrWhiteSpace(o.CanaryEndpoint) ? null : o.CanaryEndpoint,
            Stages = stages,
            MinDwell = dwell,
            MinSamples = o.MinSamples ?? ExperimentDefaults.MinSamples,
            Alpha = o.Alpha ?? ExperimentDefaults.Alpha,
            SrmTolerance = o.SrmTolerance ?? ExperimentDefaults.SrmTolerance,
            ConfiguredStage = o.CurrentStage,
            ConfiguredStageStart = o.CurrentStageStart,
            Guardrails = metrics,
        };
    }

    /// <summary>Every problem in the section, each naming its key; empty when it is valid.</summary>
    public static IReadOnlyList<string> Validate(ExperimentsOptions options, IReadOnlySet<string> knownMetrics)
    {
        var errors = new List<string>();
        if (options.EvaluationIntervalSeconds is < 1 or > 86_400)
        {
            errors.Add("Experiments:EvaluationIntervalSeconds must be 1..86400");
        }
        for (var i = 0; i < options.Items.Count; i++)
        {
            var e = options.Items[i];
            var key = $"Experiments:Items:{i}";
            if (string.IsNullOrWhiteSpace(e.Id))
            {
                errors.Add($"{key}:Id is required");
            }
            else if (options.Items.Count(x => x.Id == e.Id) > 1)
            {
                errors.Add($"{key}:Id \"{e.Id}\" is configured more than once");
            }
            if (e.Stages is { Length: > 0 } stages)
            {
                if (stages.Any(s => s is <= 0 or > 100) || stages.Zip(stages.Skip(1)).Any(p => p.Second <= p.First))
                {
                    errors.Add($"{key}:Stages must be ascending percentages in (0, 100], e.g. [5, 25, 50, 100]");
                }
            }
            var stageCount = e.Stages?.Length ?? ExperimentDefaults.Stages.Count;
            if (e.MinDwell is { Length: > 0 } dwell)
            {
                if (dwell.Length != stageCount)
                {
                    errors.Add($"{key}:MinDwell has {dwell.Length} entries but there are {stageCount} stages; give one per stage");
                }
                foreach (var d in dwell.Where(d => !ExperimentDefaults.TryParseDuration(d, out _)))
                {
                    errors.Add($"{key}:MinDwell \"{d}\" is not a duration such as 48h, 7d, 30m or 2.00:00:00");
                }
            }
            if (e.MinSamples is < 1)
            {
                errors.Add($"{key}:MinSamples must be >= 1");
            }
            if (e.SrmTolerance is { } tol && (tol < 0 || tol >= 1 || double.IsNaN(tol)))
            {
                errors.Add($"{key}:SrmTolerance must be in [0, 1), e.g. 0.1 (a 10 % relative deviation of the canary's share)");
            }
            if (e.Alpha is { } a && (a <= 0 || a >= 0.5))
            {
                errors.Add($"{key}:Alpha must be in (0, 0.5), e.g. 0.05");
            }
            if (e.CurrentStage is { } cs && (cs < 0 || cs > 100))
            {
                errors.Add($"{key}:CurrentStage must be a percentage 0..100");
            }
            for (var m = 0; m < (e.Metrics?.Count ?? 0); m++)
            {
                var metric = e.Metrics![m];
                if (!knownMetrics.Contains(metric.Name))
                {
                    errors.Add($"{key}:Metrics:{m}:Name \"{metric.Name}\" is not one of {string.Join(", ", knownMetrics.Order())}");
                }
                if (metric.Margin is < 0)
                {
                    errors.Add($"{key}:Metrics:{m}:Margin must be >= 0");
                }
                if (metric.Direction is { } dir && dir is not ("lower_is_better" or "higher_is_better"))
                {
                    errors.Add($"{key}:Metrics:{m}:Direction must be lower_is_better or higher_is_better");
                }
                if (metric.Name == MetricNames.ValidationMatchRate)
                {
                    if (metric.Margin is not null)
                    {
                        errors.Add($"{key}:Metrics:{m}:Margin does not apply to {MetricNames.ValidationMatchRate}; set Threshold (the match rate the canary must exceed, e.g. 0.98)");
                    }
                    if (metric.Direction is "lower_is_better")
                    {
                        errors.Add($"{key}:Metrics:{m}:Direction of {MetricNames.ValidationMatchRate} is higher_is_better (a higher match rate is better)");
                    }
                }
                if (metric.Threshold is { } threshold)
                {
                    if (ExperimentDefaults.Metrics.TryGetValue(metric.Name, out var def) && def.Threshold is null)
                    {
                        errors.Add($"{key}:Metrics:{m}:Threshold applies only to {MetricNames.ValidationMatchRate}; {metric.Name} is judged by its Margin");
                    }
                    else if (threshold is <= 0 or >= 1)
                    {
                        errors.Add($"{key}:Metrics:{m}:Threshold must be a rate in (0, 1), e.g. 0.98");
                    }
                }
            }
        }
        return errors;
    }

    internal static string Percent(double stage) => stage.ToString("0.##", CultureInfo.InvariantCulture) + " %";
}
