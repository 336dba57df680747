using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>
/// The judge's pipeline for one experiment, as of a time (pure): sample -> SRM -> one check per guardrail ->
/// sequential judgement with Holm across guardrails -> decision policy -> verdict.
/// </summary>
public sealed class ExperimentEvaluator
{
    private readonly Dictionary<string, IGuardrailCheck> _checks;

    /// <summary>An evaluator with the given checks (one per metric name).</summary>
    public ExperimentEvaluator(IEnumerable<IGuardrailCheck> checks)
    {
        _checks = checks.ToDictionary(c => c.Metric, StringComparer.Ordinal);
        Plans = new Planning.StagePlanCache(_checks.Values);
    }

    /// <summary>An evaluator with every built-in check, latency and error guardrails compared within model when the
    /// requests carry one (<see cref="ModelStratifiedCheck"/>).</summary>
    public static ExperimentEvaluator CreateDefault(bool planWhileWaiting = true) =>
        new(ModelStratifiedCheck.WrapAll(GuardrailChecks.All())) { PlanWhileWaiting = planWhileWaiting };

    /// <summary>Whether a waiting verdict carries <c>estimate.plan</c> (default true). Simulations that evaluate thousands
    /// of looks and never read the plan turn it off: planning costs about ten times the rest of an evaluation. The plan
    /// is remembered per experiment and computed afresh only when its inputs move (<see cref="Planning.StagePlanCache"/>),
    /// so an evaluator kept across evaluations (the worker's) pays for it a few dozen times per stage.</summary>
    public bool PlanWhileWaiting { get; init; } = true;

    /// <summary>The plans remembered per experiment (for tests and benchmarks: how many were computed and reused).</summary>
    internal Planning.StagePlanCache Plans { get; }

    /// <summary>The metric names this evaluator knows.</summary>
    public IReadOnlySet<string> Metrics => _checks.Keys.ToHashSet(StringComparer.Ordinal);

    /// <summary>Evaluates one experiment.</summary>
    /// <param name="experiment">Its settings.</param>
    /// <param name="sample">Its data in the window.</param>
    /// <param name="previous">The previous decision (for no flapping), or null.</param>
    public Verdict Evaluate(ExperimentDefinition experiment, ExperimentSample sample, PreviousDecision? previous)
    {
        // The running minimum p-values continue within a stage and start afresh with a new one.
        var memory = previous is not null && previous.StageStartedAt == sample.Stage.StartedAt ? previous.Guardrails : null;
        var srm = SampleRatio.Check(sample, experiment.SrmTolerance, memory?.GetValueOrDefault(SampleRatio.MemoryKey), out var srmMemory);
        var measured = experiment.Guardrails.Select(g => Measure(g, sample)).ToList();
        // A default guardrail on data this experiment does not have (no costs, no validation events) is left out,
        // and the verdict says so; one configured explicitly stays and waits for its data.
        var skipped = measured.Where(m => m.Missing is { NoData: true, Guardrail.Optional: true }).Select(m => m.Missing!).ToList();
        var measurements = measured.Where(m => m.Missing is not { NoData: true, Guardrail.Optional: true }).ToList();
        var judged = StrataFigures.Annotate(SequentialJudge.Judge(measurements, experiment.Alpha, memory), sample);
        var (decision, reasons, estimate) = VerdictPolicy.Decide(experiment, sample, srm, judged, previous);
        foreach (var s in skipped)
        {
            reasons.Add($"{s.Reason} The {s.Guardrail.Metric} guardrail is left out until there is such data (list it under Experiments:Items:N:Metrics to require it).");
        }
        var dwellRequired = experiment.DwellFor(sample.Stage.WeightPercent);
        return new Verdict
        {
            Experiment = experiment.Id,
            Decision = decision,
            CurrentStage = sample.Stage.WeightPercent,
            NextStage = experiment.NextStage(sample.Stage.WeightPercent),
            EvaluatedAt = sample.AsOf,
            Window = new VerdictWindow(sample.Stage.StartedAt, sample.AsOf),
            Samples = new VerdictSamples(sample.Baseline.Requests, sample.Canary.Requests),
            Srm = srm,
            Checks = judged.Select(j => j.Check).ToList(),
            Reasons = reasons,
            Stage = new StageDetails(sample.Stage.StartedAt, sample.Stage.Source switch
            {
                StageSource.Event => "stage_event",
                StageSource.Configuration => "configuration",
                _ => "first_stage",
            }, Math.Round(dwellRequired.TotalHours, 3), Math.Round((sample.AsOf - sample.Stage.StartedAt).TotalHours, 3)),
            Endpoints = new VerdictEndpoints(sample.Baseline.Endpoints, sample.Canary.Endpoints),
            Estimate = decision == Decisions.Wait && estimate is not null ? estimate with { Plan = !PlanWhileWaiting ? null : Plans.PlanCurrentStage(experiment, sample, judged) } : null,
            DefaultsUsed = experiment.UsesDefaults,
            Cost = VerdictFigures.Cost(sample),
            Validation = VerdictFigures.Validation(sample),
            Errors = VerdictFigures.Errors(sample),
            Strata = StrataFigures.Of(sample, judged),
            Memory = [.. judged.Where(j => j.Memory is not null).Select(j => j.Memory!), srmMemory],
        };
    }

    private Measurement Measure(Guardrail guardrail, ExperimentSample sample)
    {
        if (!_checks.TryGetValue(guardrail.Metric, out var check))
        {
            return new NotComputable(guardrail, $"{guardrail.Metric}: no such metric in this version.");
        }
        if (sample.Baseline.Requests == 0 || sample.Canary.Requests == 0)
        {
            return new NotComputable(guardrail, $"{guardrail.Metric}: no data on {(sample.Canary.Requests == 0 ? "the canary" : "the baseline")} yet.");
        }
        try
        {
            return check.Measure(sample, guardrail);
        }
        catch (Exception ex) when (ex is ArithmeticException or ArgumentException or InvalidOperationException)
        {
            // One metric's failure is an inconclusive check, not a dead worker.
            return new NotComputable(guardrail, $"{guardrail.Metric} could not be computed: {ex.Message}");
        }
    }
}
