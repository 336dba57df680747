using LogAnalytics.Verdicts;

namespace LogAnalytics.Evaluation;

/// <summary>What the next evaluation of the same experiment must remember of a verdict (the store does the same
/// through the <c>verdicts</c> and <c>guardrail_states</c> tables): the decision and when it was first reached in the
/// stage, when go was first reached, and each guardrail's running minimum p-values.</summary>
public static class VerdictMemory
{
    /// <summary>The memory after <paramref name="verdict"/>, given the memory before it.</summary>
    public static PreviousDecision Next(PreviousDecision? previous, Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var sameStage = previous is not null && previous.StageStartedAt == verdict.Window.From;
        var decided = sameStage && previous!.Decision == verdict.Decision
            ? previous
            : new PreviousDecision(verdict.Decision, verdict.Window.From, verdict.EvaluatedAt, verdict.Reasons.FirstOrDefault() ?? "");
        var goSince = sameStage && previous!.GoSince is { } since ? since
            : verdict.Decision == Decisions.Go ? verdict.EvaluatedAt : (DateTimeOffset?)null;
        return decided with
        {
            GoSince = goSince,
            Guardrails = (verdict.Memory ?? []).ToDictionary(m => m.Metric, StringComparer.Ordinal),
        };
    }
}
