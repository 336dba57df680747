using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation.Planning;

/// <summary>
/// The verdict's <c>estimate.plan</c>, remembered per experiment so that an evaluator judging the same experiment every
/// interval plans again only when what the plan depends on has moved. Planning (a bisection of the sequential judge per
/// guardrail, and a baseline-against-itself measurement for a guardrail the verdict could not estimate) costs about ten
/// times the rest of an evaluation; a remembered plan costs a comparison.
/// <para>The rule. The plan of an experiment is computed afresh when
/// <list type="bullet">
/// <item>there is none yet, or the stage changed (its weight or its start);</item>
/// <item>a setting the plan uses changed: the guardrails, alpha, MinSamples or the stage's dwell;</item>
/// <item>the baseline's or the canary's requests in the window moved by more than <see cref="Tolerance"/> (10 %) of
/// what they were when it was planned (this also covers a guardrail planned on the baseline against itself, whose
/// variance comes from the baseline's data);</item>
/// <item>a guardrail's estimate in the verdict became usable or unusable, or the per-request variance the plan derives
/// from it (σ² = V/(1/n_b + 1/n_c); for a threshold metric V·n_c and the observed distance to the threshold) moved by
/// more than <see cref="Tolerance"/>.</item>
/// </list>
/// Otherwise the remembered plan is served with the figures that follow the traffic rate (canary requests per hour,
/// hours) recomputed from the current window (<see cref="RolloutPlanner.Retime"/>): its request counts are then those
/// of inputs within 10 % of the current ones (the plan scales with σ², so within about 10 % too), and the wording of a
/// reason (an observed rate, say) is that of the planned inputs.</para>
/// <para>Within a stage the requests grow steadily, so after its first few evaluations an experiment is planned again
/// only each time its traffic has grown by a tenth: about 10·ln(N_last/N_first) times per stage, a few dozen times a
/// day at any evaluation interval.</para>
/// Thread-safe; holds one small plan per experiment.
/// </summary>
internal sealed class StagePlanCache(IEnumerable<IGuardrailCheck> checks, double tolerance = StagePlanCache.DefaultTolerance)
{
    /// <summary>The default <see cref="Tolerance"/>: 10 %.</summary>
    public const double DefaultTolerance = 0.10;

    private readonly RolloutPlanner _planner = new(checks);
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _computed;
    private long _reused;

    /// <summary>How far (relative) an input may move before the plan is computed afresh (0 = whenever it moves at all).</summary>
    public double Tolerance { get; } = tolerance;

    /// <summary>Plans computed since this cache was made.</summary>
    public long Computed => Interlocked.Read(ref _computed);

    /// <summary>Plans served from memory (retimed) since this cache was made.</summary>
    public long Reused => Interlocked.Read(ref _reused);

    /// <summary>The current stage's plan for the verdict's <c>estimate</c>; null at a stage without a baseline or canary.</summary>
    public StagePlan? PlanCurrentStage(ExperimentDefinition experiment, ExperimentSample sample, IReadOnlyList<JudgedGuardrail> judged)
    {
        if (!RolloutPlanner.HasPlan(sample))
        {
            return null;
        }
        var measured = RolloutPlanner.Measured(judged);
        var inputs = Inputs(experiment, sample, measured);
        Entry? entry;
        lock (_lock)
        {
            entry = _entries.GetValueOrDefault(experiment.Id);
        }
        if (entry is not null && entry.Matches(inputs, Tolerance))
        {
            Interlocked.Increment(ref _reused);
            return RolloutPlanner.Retime(entry.Plan, experiment, sample);
        }
        var plan = _planner.PlanCurrentStage(experiment, sample, measured)!;
        Interlocked.Increment(ref _computed);
        lock (_lock)
        {
            _entries[experiment.Id] = new Entry(inputs, plan);
        }
        return plan;
    }

    /// <summary>Forgets every remembered plan.</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _entries.Clear();
        }
    }

    private static PlanInputs Inputs(ExperimentDefinition experiment, ExperimentSample sample, IReadOnlyDictionary<string, GuardrailEstimate> measured)
    {
        var nb = sample.Baseline.Requests;
        var nc = sample.Canary.Requests;
        var figures = new List<double> { nb, nc };
        foreach (var guardrail in experiment.Guardrails)
        {
            // The same usability test as the planner's: an unusable estimate is planned another way (NaN marks it).
            if (measured.GetValueOrDefault(guardrail.Metric) is not { } e || !(e.Variance > 0 && double.IsFinite(e.Variance) && double.IsFinite(e.Degradation)) || nb == 0 || nc == 0)
            {
                figures.Add(double.NaN);
                figures.Add(double.NaN);
            }
            else if (guardrail.Threshold is not null)
            {
                figures.Add(e.Variance * nc);
                figures.Add(e.Degradation);
            }
            else
            {
                figures.Add(e.Variance / (1.0 / nb + 1.0 / nc));
                figures.Add(0);
            }
        }
        var stage = sample.Stage.WeightPercent;
        return new PlanInputs(stage, sample.Stage.StartedAt, experiment.Alpha, experiment.MinSamples, experiment.DwellFor(stage), experiment.Guardrails, figures);
    }

    private sealed record PlanInputs(double Stage, DateTimeOffset StageStart, double Alpha, int MinSamples, TimeSpan Dwell,
        IReadOnlyList<Guardrail> Guardrails, IReadOnlyList<double> Figures);

    private sealed record Entry(PlanInputs Inputs, StagePlan Plan)
    {
        public bool Matches(PlanInputs now, double tolerance) =>
            Inputs.Stage == now.Stage && Inputs.StageStart == now.StageStart && Inputs.Alpha == now.Alpha
            && Inputs.MinSamples == now.MinSamples && Inputs.Dwell == now.Dwell
            && Inputs.Guardrails.SequenceEqual(now.Guardrails)
            && Inputs.Figures.Count == now.Figures.Count
            && Inputs.Figures.Zip(now.Figures).All(p => Close(p.First, p.Second, tolerance));

        private static bool Close(double was, double now, double tolerance) =>
            double.IsNaN(was) || double.IsNaN(now)
                ? double.IsNaN(was) && double.IsNaN(now)
                : Math.Abs(now - was) <= tolerance * Math.Max(Math.Abs(was), Math.Abs(now));
    }
}
