using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Statistics;

namespace LogAnalytics.Evaluation;

/// <summary>validation_match_rate: the share of shadow-validation events where every reported check matched, judged
/// against an absolute threshold (not against the baseline). The decision scale is threshold − rate with the binomial
/// variance at the threshold, threshold·(1 − threshold)/n, judged by the same always-valid test as the other guardrails: fail when the rate is below the threshold
/// with sequential confidence; pass when the sequential lower bound clears it <em>and</em> the Wilson 95 % lower bound
/// does too. The fixed-horizon p-value is the one-proportion score test against the threshold.</summary>
internal sealed class ValidationMatchRateCheck : IGuardrailCheck
{
    /// <summary>The threshold when a guardrail has none.</summary>
    public const double DefaultThreshold = 0.98;

    public string Metric => MetricNames.ValidationMatchRate;

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var v = sample.Validation;
        if (v.Events == 0)
        {
            return new NotComputable(guardrail, $"{Metric}: no shadow-validation events (kind \"validation\") for the canary in this window.", NoData: true);
        }
        var threshold = guardrail.Threshold ?? DefaultThreshold;
        var n = (double)v.Events;
        var rate = v.Matches / n;
        // The binomial variance at the null boundary (rate = threshold), where both tests decide: a sample that happens
        // to show few mismatches cannot narrow its own interval, and one mismatch in one event is not evidence.
        var boundary = Math.Clamp(threshold, 0.5 / n, 1 - (0.5 / n));
        var variance = boundary * (1 - boundary) / n;
        var expected = n * Math.Min(threshold, 1 - threshold);
        var wilson = WilsonInterval.Compute(v.Matches, v.Events, StatisticsDefaults.Alpha);
        var scoreZ = (rate - threshold) / Math.Sqrt(threshold * (1 - threshold) / n);
        var details = new Dictionary<string, double>
        {
            ["validation_events"] = v.Events,
            ["matches"] = v.Matches,
            ["wilson_low"] = wilson.Interval.Lower,
            ["wilson_high"] = wilson.Interval.Upper,
        };
        foreach (var (check, tally) in v.ByCheck.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            details[$"{check}_rate"] = (double)tally.Matched / tally.Checked;
            details[$"{check}_wilson_low"] = WilsonInterval.Compute(tally.Matched, tally.Checked, StatisticsDefaults.Alpha).Interval.Lower;
            details[$"{check}_checked"] = tally.Checked;
        }
        if (v.Similarities.Length > 0)
        {
            details["similarity_mean"] = v.Similarities.Average();
            details["similarity_p5"] = QuantileDifference.Type7(v.Similarities, 0.05);
            details["similarity_count"] = v.Similarities.Length;
        }
        if (expected < RateApproximation.MinExpectedCount)
        {
            return new NotComputable(guardrail, string.Create(CultureInfo.InvariantCulture,
                $"{Metric}: too few shadow-validation events to judge yet ({v.Events:N0}; at the {threshold:P1} threshold that is {expected:0.#} expected mismatches, and the test needs {RateApproximation.MinExpectedCount})."), null, rate);
        }
        return new GuardrailEstimate
        {
            Guardrail = guardrail,
            Baseline = null,
            Canary = rate,
            Degradation = threshold - rate,
            Variance = variance,
            FixedHorizonPValue = StandardNormal.TwoSidedPValue(scoreZ),
            Test = "one_proportion_score_z",
            Details = details,
            MixtureScale = Math.Clamp(1 - threshold, 0.005, 0.05),
            PassHeldBecause = wilson.Interval.Lower > threshold ? null : string.Create(CultureInfo.InvariantCulture,
                $"its Wilson 95 % lower bound {wilson.Interval.Lower:P2} is not above the {threshold:P1} threshold yet"),
        };
    }
}
