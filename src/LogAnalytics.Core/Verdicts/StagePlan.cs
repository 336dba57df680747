namespace LogAnalytics.Verdicts;

/// <summary>What one stage needs before <c>go</c> is reachable, if the canary performs like the baseline
/// (see <c>RolloutPlanner</c>).</summary>
/// <param name="Stage">The stage's canary weight in percent.</param>
/// <param name="CanaryRequests">Canary requests from the stage's start that every guardrail (and MinSamples) needs;
/// null when a guardrail cannot be planned or can never pass.</param>
/// <param name="Hours">Hours from the stage's start: the canary requests at the observed traffic, and at least the
/// dwell; null when unknown.</param>
/// <param name="DwellHours">The stage's minimum dwell in hours.</param>
/// <param name="CanaryRequestsPerHour">The canary's requests per hour at this stage's weight, from the traffic
/// observed; null without a time span to measure it.</param>
/// <param name="Guardrails">Per guardrail.</param>
public sealed record StagePlan(double Stage, long? CanaryRequests, double? Hours, double? DwellHours, double? CanaryRequestsPerHour, IReadOnlyList<GuardrailPlan> Guardrails);

/// <summary>What one guardrail needs at a stage.</summary>
/// <param name="Metric">The guardrail's metric.</param>
/// <param name="CanaryRequests">Canary requests from the stage's start (at least MinSamples); null when it cannot be
/// planned (<paramref name="Reason"/> says why).</param>
/// <param name="Hours">Those requests in hours at the observed traffic (dwell not included); null when unknown.</param>
/// <param name="Reason">Why there is no figure; null when there is.</param>
public sealed record GuardrailPlan(string Metric, long? CanaryRequests, double? Hours, string? Reason);
