using LogAnalytics.Experiments;
using LogAnalytics.Kpis;

namespace LogAnalytics.Evaluation;

/// <summary>The LLM-aware latency guardrails. End-to-end latency of an LLM call is dominated by how many tokens it
/// writes, so a canary that answers more briefly looks faster and one that answers at length looks slower, whatever its
/// serving speed. These judge what the provider controls:
/// <list type="bullet">
/// <item><c>ttft_p50</c>, <c>ttft_p95</c>: time to first token (events with <c>ttft_ms</c>);</item>
/// <item><c>latency_per_output_token</c>: the median of latency_ms / completion_tokens (events with at least one
/// completion token).</item>
/// </list>
/// Each is the latency-percentile check (<see cref="LatencyQuantileCheck"/>: order-statistic standard errors, log ratio)
/// run on those per-request values instead of latency_ms, so it follows that check's statistics.</summary>
internal sealed class DerivedLatencyCheck : IGuardrailCheck
{
    private readonly LatencyQuantileCheck _inner;
    private readonly Func<ArmSample, double[]> _values;
    private readonly string _field;

    private DerivedLatencyCheck(string metric, double quantile, Func<ArmSample, double[]> values, string field)
    {
        Metric = metric;
        _inner = new LatencyQuantileCheck(metric, quantile);
        _values = values;
        _field = field;
    }

    public string Metric { get; }

    /// <summary>ttft_p50 / ttft_p95.</summary>
    public static DerivedLatencyCheck TimeToFirstToken(string metric, double quantile) => new(metric, quantile, a => a.TtftMs, "ttft_ms");

    /// <summary>latency_per_output_token: the median ms per completion token.</summary>
    public static DerivedLatencyCheck PerOutputToken() => new(MetricNames.LatencyPerOutputToken, 0.5, a => a.MsPerOutputToken, "completion_tokens");

    public Measurement Measure(ExperimentSample sample, Guardrail guardrail)
    {
        var baseline = _values(sample.Baseline);
        var canary = _values(sample.Canary);
        if (baseline.Length == 0 && canary.Length == 0)
        {
            return new NotComputable(guardrail, $"{Metric}: no request reports {_field}, so there is nothing to compare.", NoData: true);
        }
        if (baseline.Length == 0 || canary.Length == 0)
        {
            var side = baseline.Length == 0 ? "baseline" : "canary";
            return new NotComputable(guardrail, $"{Metric}: none of the {side}'s requests report {_field} (the other side's do); have the {side}'s router log it.");
        }
        var projected = sample with
        {
            Baseline = sample.Baseline with { LatenciesMs = baseline },
            Canary = sample.Canary with { LatenciesMs = canary },
        };
        return _inner.Measure(projected, guardrail);
    }
}
