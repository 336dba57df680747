using System.Globalization;
using LogAnalytics.Experiments;
using LogAnalytics.Statistics;
using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>
/// Turns guardrail estimates into pass / fail / inconclusive with always-valid inference, so the decision keeps its
/// error rate however often the worker looks (mixture SPRT, Johari, Pekelis &amp; Walsh 2017).
/// <list type="bullet">
/// <item>fail: the one-sided always-valid p-value of "degradation ≤ margin" (its running minimum over the stage's
/// looks), Holm-adjusted across every configured guardrail (p = 1 while one cannot be computed), is at most alpha.</item>
/// <item>pass: the one-sided always-valid p-value of "degradation ≥ margin" (running minimum) is at most alpha
/// (non-inferiority; go needs every guardrail to pass, an intersection-union test that needs no multiplicity
/// correction).</item>
/// <item>otherwise inconclusive.</item>
/// </list>
/// Both tests mix over several scales τ (½ to 8 times the margin on the decision scale, <see cref="AdaptiveMixture"/>),
/// so effects far beyond the margin are caught early and effects near it are still resolved. The published interval
/// is [lower, upper] of the two one-sided sequences at alpha each.
/// </summary>
public static class SequentialJudge
{
    /// <summary>τ used when a margin is 0.</summary>
    public const double DefaultMixtureScale = 0.05;

    /// <summary>Judges every measurement at a first look (nothing remembered).</summary>
    public static IReadOnlyList<JudgedGuardrail> Judge(IReadOnlyList<Measurement> measurements, double alpha) =>
        Judge(measurements, alpha, null);

    /// <summary>Judges every measurement, continuing the running minimum p-values of <paramref name="memory"/> (the same
    /// stage's earlier looks; null or empty at the stage's first look).</summary>
    public static IReadOnlyList<JudgedGuardrail> Judge(IReadOnlyList<Measurement> measurements, double alpha, IReadOnlyDictionary<string, GuardrailMemory>? memory)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        var memories = new GuardrailMemory[measurements.Count];
        var intervals = new (double Low, double High, double Radius)?[measurements.Count];
        for (var i = 0; i < measurements.Count; i++)
        {
            var metric = measurements[i].Estimate?.Guardrail.Metric ?? measurements[i].Missing!.Guardrail.Metric;
            var prior = memory?.GetValueOrDefault(metric) ?? GuardrailMemory.Initial(metric);
            memories[i] = prior;
            if (measurements[i].Estimate is not { } e || !(e.Variance > 0) || !double.IsFinite(e.Variance) || !double.IsFinite(e.Degradation))
            {
                continue;
            }
            var scale = e.MixtureScale ?? (e.DecisionMargin > 0 ? e.DecisionMargin : DefaultMixtureScale);
            var d = e.Degradation - e.DecisionMargin;
            var fail = AdaptiveMixture.PValue(d, e.Variance, scale);
            var pass = AdaptiveMixture.PValue(-d, e.Variance, scale);
            var half = AdaptiveMixture.HalfWidth(e.Variance, scale, alpha);
            intervals[i] = (e.Degradation - half, e.Degradation + half, half);
            memories[i] = prior with { FailPValue = Math.Min(prior.FailPValue, fail), PassPValue = Math.Min(prior.PassPValue, pass) };
        }
        // Holm over the whole configured family: a guardrail that cannot be computed yet counts with its p so far (1).
        var adjusted = measurements.Count == 0 ? [] : Holm.Adjust(memories.Select(m => m.FailPValue).ToArray());

        var result = new List<JudgedGuardrail>(measurements.Count);
        for (var i = 0; i < measurements.Count; i++)
        {
            var m = measurements[i];
            if (m.Estimate is not { } e || intervals[i] is not { } ci)
            {
                var missing = m.Missing ?? new NotComputable(m.Estimate!.Guardrail, $"{m.Estimate.Guardrail.Metric}: the data show no variation to test yet.", m.Estimate.Baseline, m.Estimate.Canary);
                result.Add(new JudgedGuardrail(new MetricCheck
                {
                    Metric = missing.Guardrail.Metric,
                    Baseline = missing.Baseline,
                    Canary = missing.Canary,
                    RelativeChange = Relative(missing.Baseline, missing.Canary),
                    Margin = missing.Guardrail.Margin,
                    Scale = missing.Guardrail.Relative ? "relative" : "absolute",
                    Threshold = missing.Guardrail.Threshold,
                    SequentialPValue = memories[i].FailPValue < 1 ? adjusted[i] : null,
                    Test = "none",
                    Outcome = Outcomes.Inconclusive,
                    Reason = missing.Reason,
                }, m.Estimate, null) { Memory = memories[i] });
                continue;
            }
            var outcome = adjusted[i] <= alpha ? Outcomes.Fail
                : memories[i].PassPValue <= alpha && e.PassHeldBecause is null ? Outcomes.Pass
                : Outcomes.Inconclusive;
            var low = e.ToReportedScale(e.Guardrail.HigherIsBetter ? ci.High : ci.Low);
            var high = e.ToReportedScale(e.Guardrail.HigherIsBetter ? ci.Low : ci.High);
            if (e.Guardrail.Threshold is { } threshold)
            {
                // A rate lies in [0, 1]: keep (rate − threshold) within [−threshold, 1 − threshold].
                (low, high) = (Math.Max(low, -threshold), Math.Min(high, 1 - threshold));
            }
            var check = new MetricCheck
            {
                Metric = e.Guardrail.Metric,
                Baseline = e.Baseline,
                Canary = e.Canary,
                RelativeChange = Relative(e.Baseline, e.Canary),
                CiLow = low,
                CiHigh = high,
                Margin = e.Guardrail.Margin,
                Scale = e.Guardrail.Relative ? "relative" : "absolute",
                Threshold = e.Guardrail.Threshold,
                PValue = e.FixedHorizonPValue,
                SequentialPValue = adjusted[i],
                Test = e.Test,
                Outcome = outcome,
                Reason = Explain(e, outcome, low, high, alpha),
                Details = e.Details,
            };
            var remembered = memories[i] with { HasFailed = memories[i].HasFailed || outcome == Outcomes.Fail };
            result.Add(new JudgedGuardrail(check, e, ci.Radius) { Memory = remembered });
        }
        return result;
    }

    private static double? Relative(double? baseline, double? canary) =>
        baseline is { } b && canary is { } c && b != 0 ? c / b - 1 : null;

    private static string Explain(GuardrailEstimate e, string outcome, double low, double high, double alpha)
    {
        var g = e.Guardrail;
        var confidence = (1 - alpha).ToString("P0", CultureInfo.InvariantCulture);
        if (g.Threshold is { } threshold)
        {
            return ExplainThreshold(e, threshold, outcome, confidence, low, high);
        }
        string Fmt(double v) => g.Relative ? v.ToString("+0.0 %;-0.0 %;0 %", CultureInfo.InvariantCulture) : (v * 100).ToString("+0.00 'pp';-0.00 'pp';0 'pp'", CultureInfo.InvariantCulture);
        var values = $"canary {Value(g.Metric, e.Canary)} vs baseline {Value(g.Metric, e.Baseline)}";
        var margin = g.Relative ? g.Margin.ToString("0.# %", CultureInfo.InvariantCulture) : (g.Margin * 100).ToString("0.## 'pp'", CultureInfo.InvariantCulture);
        return outcome switch
        {
            Outcomes.Fail => $"{g.Metric} is worse on the canary beyond its {margin} margin: {values}; with {confidence} sequential confidence the change is between {Fmt(low)} and {Fmt(high)}.",
            Outcomes.Pass => $"{g.Metric} is within its {margin} margin: {values}; with {confidence} sequential confidence the change is at most {Fmt(g.HigherIsBetter ? -low : high)} in the worse direction.",
            _ => $"{g.Metric} is not yet decided: {values}; the change is between {Fmt(low)} and {Fmt(high)} ({confidence} sequential), which still straddles the {margin} margin.",
        };
    }

    private static string ExplainThreshold(GuardrailEstimate e, double threshold, string outcome, string confidence, double low, double high)
    {
        static string P(double v) => v.ToString("0.0# %", CultureInfo.InvariantCulture);
        var count = e.Details is { } d && d.TryGetValue("validation_events", out var n) && d.TryGetValue("matches", out var m)
            ? string.Create(CultureInfo.InvariantCulture, $"{m:N0} of {n:N0} shadow comparisons matched ({P(e.Canary)})")
            : $"the rate is {P(e.Canary)}";
        // low / high are rate − threshold on the reported scale.
        var (rateLow, rateHigh) = (Math.Max(0, threshold + low), Math.Min(1, threshold + high));
        return outcome switch
        {
            Outcomes.Fail => $"{e.Guardrail.Metric} is below its {P(threshold)} threshold: {count}; with {confidence} sequential confidence the rate is between {P(rateLow)} and {P(rateHigh)}. Check the canary's answers (wrong model, truncation, prompt handling) before moving on.",
            Outcomes.Pass => $"{e.Guardrail.Metric} clears its {P(threshold)} threshold: {count}; with {confidence} sequential confidence the rate is at least {P(rateLow)}.",
            _ => $"{e.Guardrail.Metric} is not yet shown above its {P(threshold)} threshold: {count}; the rate is between {P(rateLow)} and {P(rateHigh)} ({confidence} sequential){(e.PassHeldBecause is { } why && rateLow >= threshold ? $", but {why}" : "")}.",
        };
    }

    private static string Value(string metric, double? value)
    {
        if (value is not { } v)
        {
            return "n/a";
        }
        return Value(metric, v);
    }

    private static string Value(string metric, double v) => metric.StartsWith("cost", StringComparison.Ordinal)
        ? "$" + v.ToString("0.######", CultureInfo.InvariantCulture)
        : metric.StartsWith("latency", StringComparison.Ordinal)
        ? v.ToString("0.#", CultureInfo.InvariantCulture) + " ms"
        : metric.EndsWith("_rate", StringComparison.Ordinal) ? v.ToString("0.###%", CultureInfo.InvariantCulture)
        : v.ToString("G4", CultureInfo.InvariantCulture);
}
