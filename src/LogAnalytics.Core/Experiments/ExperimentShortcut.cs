namespace LogAnalytics.Experiments;

/// <summary>
/// The command-line shortcut for an experiment configuration: <c>--baseline-endpoint legacy --canary-endpoint
/// holy_sheep [--stage 5]</c> names the two sides of one experiment (the <c>default</c> experiment, of events without an
/// <c>experiment</c> field, unless one experiment is named), so a router that logs neither variant nor experiment is
/// judged without a configuration file. It overrides the same keys of a configured experiment of that id.
/// </summary>
/// <param name="BaselineEndpoint">The endpoint traffic moves away from.</param>
/// <param name="CanaryEndpoint">The endpoint traffic moves to.</param>
/// <param name="Stage">The current stage in percent, when no stage event says; null keeps the configured or default one.</param>
/// <param name="ExperimentId">The experiment the shortcut describes; default <c>default</c>.</param>
public sealed record ExperimentShortcut(string? BaselineEndpoint, string? CanaryEndpoint, double? Stage, string? ExperimentId = null)
{
    /// <summary>Whether any of the shortcut's options was given.</summary>
    public bool IsGiven => BaselineEndpoint is not null || CanaryEndpoint is not null || Stage is not null;

    /// <summary>What is wrong with the options as given (one message per problem, naming the option).</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!IsGiven)
        {
            return errors;
        }
        if (string.IsNullOrWhiteSpace(BaselineEndpoint) != string.IsNullOrWhiteSpace(CanaryEndpoint))
        {
            errors.Add("--baseline-endpoint and --canary-endpoint go together, e.g. --baseline-endpoint legacy --canary-endpoint holy_sheep");
        }
        else if (BaselineEndpoint is not null && string.Equals(BaselineEndpoint.Trim(), CanaryEndpoint!.Trim(), StringComparison.Ordinal))
        {
            errors.Add($"--baseline-endpoint and --canary-endpoint are both \"{BaselineEndpoint}\"; they must name two different endpoints");
        }
        if (Stage is { } stage && (double.IsNaN(stage) || stage <= 0 || stage > 100))
        {
            errors.Add($"--stage {stage} must be a canary weight in percent, greater than 0 and at most 100 (e.g. 5)");
        }
        return errors;
    }

    /// <summary>Applies the shortcut to <paramref name="options"/>: the experiment of that id is added, or its
    /// endpoints (and stage) are replaced.</summary>
    public void Apply(ExperimentsOptions options)
    {
        if (!IsGiven)
        {
            return;
        }
        var id = string.IsNullOrWhiteSpace(ExperimentId) ? ExperimentDefaults.DefaultExperimentId : ExperimentId.Trim();
        var experiment = options.Items.Find(e => string.Equals(e.Id, id, StringComparison.Ordinal));
        if (experiment is null)
        {
            experiment = new ExperimentOptions { Id = id };
            options.Items.Add(experiment);
        }
        if (!string.IsNullOrWhiteSpace(BaselineEndpoint))
        {
            experiment.BaselineEndpoint = BaselineEndpoint.Trim();
        }
        if (!string.IsNullOrWhiteSpace(CanaryEndpoint))
        {
            experiment.CanaryEndpoint = CanaryEndpoint.Trim();
        }
        if (Stage is { } stage)
        {
            experiment.CurrentStage = stage;
            var stages = experiment.Stages ?? [.. ExperimentDefaults.Stages];
            if (Array.IndexOf(stages, stage) < 0)
            {
                // A stage outside the ladder: put it on the ladder, keeping it ascending.
                experiment.Stages = [.. stages.Append(stage).Order()];
                if (experiment.MinDwell is { } dwell && dwell.Length == stages.Length)
                {
                    var at = Array.IndexOf(experiment.Stages, stage);
                    experiment.MinDwell = [.. dwell.Take(at), dwell[Math.Min(at, dwell.Length - 1)], .. dwell.Skip(at)];
                }
            }
        }
    }
}
