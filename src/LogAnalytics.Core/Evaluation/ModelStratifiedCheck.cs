using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;

namespace LogAnalytics.Evaluation;

/// <summary>Which models a guardrail was compared within, or why it was not.</summary>
/// <param name="Compared">The models compared within (the strata), most canary requests first; empty when pooled.</param>
/// <param name="PooledBecause">Why the pooled requests were compared instead; null when stratified.</param>
public sealed record ModelComparison(IReadOnlyList<string> Compared, string? PooledBecause);

/// <summary>
/// Per-model stratification of a guardrail. Routers mix models whose latencies differ by 10×, so a canary that serves
/// more of the slow model looks slower although no model got slower, and the spread between models inflates the pooled
/// variance. When the requests carry <c>model</c>, this check measures the inner guardrail within each model served on
/// both sides and combines the per-model estimates on the decision scale with Mantel–Haenszel weights
/// n_b·n_c/(n_b + n_c) (<see cref="StratifiedCombination"/>): for error_rate that is the Mantel–Haenszel risk difference
/// (its fixed-horizon p-value the Cochran–Mantel–Haenszel test), for latency the weighted mean of per-model log ratios.
/// The published baseline and canary values stay the pooled figures; the interval and the decision are within-model.
/// <para>It compares the pooled requests (as without models) when there is one model or none, or when the models both
/// sides serve carry less than <see cref="MinCoverage"/> of either side's requests (traffic on a model only one side
/// serves would otherwise go unjudged). When the shared models carry enough but some are too thin for the metric yet
/// (a p99 needs 1,000 requests per side of each), so that the measurable ones carry less than that, the check is
/// inconclusive until they fill: falling back to the pooled comparison then would bring back the bias of a differing
/// mix exactly at the first looks.</para>
/// </summary>
public sealed class ModelStratifiedCheck : IGuardrailCheck
{
    /// <summary>The share of each side's requests the compared models must cover for a stratified comparison (0.95).</summary>
    public const double MinCoverage = 0.95;

    /// <summary>The metrics compared within model: latency, time to first token, per-token latency and errors. Cost is
    /// not (the model mix is part of what a request costs), nor validation (no baseline).</summary>
    public static readonly IReadOnlySet<string> StratifiedMetrics = new HashSet<string>(StringComparer.Ordinal)
    {
        MetricNames.LatencyP50, MetricNames.LatencyP95, MetricNames.LatencyP99, MetricNames.LatencyDistribution,
        MetricNames.ErrorRate, MetricNames.TtftP50, MetricNames.TtftP95, MetricNames.LatencyPerOutputToken,
    };

    private readonly IGuardrailCheck _inner;

    /// <summary>Stratifies <paramref name="inner"/>.</summary>
    public ModelStratifiedCheck(IGuardrailCheck inner) => _inner = inner;

    /// <summary>The checks, those of <see cref="StratifiedMetrics"/> stratified.</summary>
    public static IReadOnlyList<IGuardrailCheck> WrapAll(IEnumerable<IGuardrailCheck> checks) =>
        checks.Select(c => StratifiedMetrics.Contains(c.Metric) ? new ModelStratifiedCheck(c) : c).ToList();

    /// <inheritdoc />
    public string Metric => _inner.Metric;

    /// <inheritdoc />
    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var pooled = _inner.Measure(sample, guardrail);
        if (pooled.Estimate is not { } estimate)
        {
            return pooled;
        }
        var baseline = sample.Baseline.ByModel;
        var canary = sample.Canary.ByModel;
        var models = baseline.Keys.Union(canary.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList(); // the same order whatever order the rows came in
        if (models.Count < 2)
        {
            return pooled; // one model (or none recorded): the pooled comparison is the within-model one
        }
        var shared = models.Where(m => baseline.ContainsKey(m) && canary.ContainsKey(m)).ToList();
        var sharedBaseline = shared.Sum(m => baseline[m].Requests) / (double)sample.Baseline.Requests;
        var sharedCanary = shared.Sum(m => canary[m].Requests) / (double)sample.Canary.Requests;
        if (sharedBaseline < MinCoverage || sharedCanary < MinCoverage)
        {
            var why = string.Create(CultureInfo.InvariantCulture,
                $"the models both sides serve ({(shared.Count == 0 ? "none" : string.Join(", ", shared))}) carry {sharedBaseline:P0} of baseline and {sharedCanary:P0} of canary requests; at least {MinCoverage:P0} of each are needed to compare within model");
            return estimate with { Models = new ModelComparison([], why) };
        }
        var strata = new List<(string Model, GuardrailEstimate Estimate, long Baseline, long Canary)>();
        var thin = new List<string>();
        foreach (var model in shared)
        {
            var part = sample with { Baseline = baseline[model], Canary = canary[model] };
            if (_inner.Measure(part, guardrail).Estimate is { } e && e.Variance > 0 && double.IsFinite(e.Variance) && double.IsFinite(e.Degradation))
            {
                strata.Add((model, e, part.Baseline.Requests, part.Canary.Requests));
            }
            else
            {
                thin.Add(model);
            }
        }
        var coveredBaseline = strata.Sum(s => s.Baseline) / (double)sample.Baseline.Requests;
        var coveredCanary = strata.Sum(s => s.Canary) / (double)sample.Canary.Requests;
        if (strata.Count == 0 || coveredBaseline < MinCoverage || coveredCanary < MinCoverage)
        {
            // The models differ in mix, so the pooled comparison could be biased: wait for enough requests per model.
            return new NotComputable(guardrail, string.Create(CultureInfo.InvariantCulture,
                $"{Metric}: compared within model, and too few requests of {string.Join(", ", thin.Take(5))} to measure it yet (the measurable models carry {coveredBaseline:P0} of baseline and {coveredCanary:P0} of canary requests; {MinCoverage:P0} needed)."),
                estimate.Baseline, estimate.Canary);
        }
        var (theta, variance) = StratifiedCombination.Combine(
            strata.Select(s => new StratumEstimate(s.Estimate.Degradation, s.Estimate.Variance, MantelHaenszel.Weight(s.Baseline, s.Canary))).ToList());
        var details = estimate.Details is null ? new Dictionary<string, double>() : new Dictionary<string, double>(estimate.Details);
        details["models_compared"] = strata.Count;
        details["pooled_degradation"] = estimate.Degradation;
        var test = estimate.Test + "_by_model";
        var signed = guardrail.HigherIsBetter ? -theta : theta;
        var p = StandardNormal.TwoSidedPValue(signed / Math.Sqrt(variance));
        if (Metric == MetricNames.ErrorRate)
        {
            var mh = MantelHaenszel.Analyse(strata.Select(s => new Stratum2x2(
                baseline[s.Model].Errors, s.Baseline, canary[s.Model].Errors, s.Canary)).ToList());
            test = "cochran_mantel_haenszel";
            p = mh.PValue;
            details["cmh_statistic"] = mh.Statistic;
            details["mh_risk_difference"] = mh.RiskDifference;
            if (double.IsFinite(mh.RiskRatio))
            {
                details["mh_risk_ratio"] = mh.RiskRatio;
            }
        }
        return estimate with
        {
            Degradation = theta,
            Variance = variance,
            FixedHorizonPValue = p,
            Test = test,
            Details = details,
            Models = new ModelComparison(strata.OrderByDescending(s => s.Canary).ThenBy(s => s.Model, StringComparer.Ordinal).Select(s => s.Model).ToList(), null),
        };
    }
}
