namespace LogAnalytics.Evaluation;

/// <summary>
/// What one guardrail carries from look to look within a stage (persisted with the verdicts in
/// <c>guardrail_states</c>, so it survives restarts): the running minimum of its always-valid p-values. A running
/// minimum of an always-valid p-value is itself always valid, so evidence once seen is never forgotten.
/// </summary>
/// <param name="Metric">The guardrail's metric (or <c>srm</c> for the split).</param>
/// <param name="FailPValue">Running minimum of the p-value of "worse than the margin" (before Holm); 1 before any look.</param>
/// <param name="PassPValue">Running minimum of the p-value of "within the margin"; 1 before any look.</param>
/// <param name="HasFailed">True once the guardrail has failed in this stage.</param>
public sealed record GuardrailMemory(string Metric, double FailPValue, double PassPValue, bool HasFailed)
{
    /// <summary>Nothing seen yet.</summary>
    public static GuardrailMemory Initial(string metric) => new(metric, 1, 1, false);
}
