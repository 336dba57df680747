using LogAnalytics.Experiments;
using LogAnalytics.Kpis;

namespace LogAnalytics.Evaluation;

/// <summary>One classifier per metric (as in Kayenta's judge): turns an experiment's sample into an estimate of how much
/// worse the canary is. Pure; no I/O.</summary>
public interface IGuardrailCheck
{
    /// <summary>The metric name it judges (see <see cref="MetricNames"/>).</summary>
    string Metric { get; }

    /// <summary>Measures the guardrail. Returns a <see cref="GuardrailEstimate"/>, or a <see cref="NotComputable"/> with a
    /// reason when the data cannot say (never an exception for ordinary data).</summary>
    Measurement Measure(ExperimentSample sample, Guardrail guardrail);
}
