using System.Text.Json;

namespace LogAnalytics.Verdicts;

/// <summary>What rollout tools are told, decided from the latest verdict (pure; the HTTP surface only maps it to status
/// codes): whether a verdict is too old to trust, and whether Flagger's promote / rollback gates open.</summary>
public static class RolloutGates
{
    /// <summary>A verdict older than this many evaluation intervals is stale (worker stuck, Kafka down).</summary>
    public const int StaleAfterIntervals = 3;

    /// <summary>How old <paramref name="verdict"/> is at <paramref name="now"/> (never negative).</summary>
    public static TimeSpan Age(Verdict verdict, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var age = now - verdict.EvaluatedAt;
        return age < TimeSpan.Zero ? TimeSpan.Zero : age;
    }

    /// <summary>True when the verdict is older than <see cref="StaleAfterIntervals"/> evaluation intervals.</summary>
    public static bool IsStale(Verdict verdict, DateTimeOffset now, TimeSpan evaluationInterval) =>
        Age(verdict, now) > StaleAfterIntervals * evaluationInterval;

    /// <summary>The promote gate (Flagger <c>confirm-traffic-increase</c> / <c>confirm-promotion</c>): open only on go.</summary>
    public static GateResult Promote(Verdict verdict) => Gate(verdict, Decisions.Go, "promote");

    /// <summary>The rollback gate (Flagger <c>rollback</c>): open only on no_go.</summary>
    public static GateResult Rollback(Verdict verdict) => Gate(verdict, Decisions.NoGo, "roll back");

    private static GateResult Gate(Verdict verdict, string opensOn, string action)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        var reasons = string.Join(" ", verdict.Reasons);
        var open = verdict.Decision == opensOn;
        var message = open
            ? $"{verdict.Experiment} at {verdict.CurrentStage:0.##} %: {verdict.Decision}, {action}. {reasons}".TrimEnd()
            : $"{verdict.Experiment} at {verdict.CurrentStage:0.##} %: {verdict.Decision}, do not {action} (this gate opens on {opensOn}). {reasons}".TrimEnd();
        return new GateResult(open, message);
    }

    /// <summary>The experiment ids a Flagger webhook payload (<c>{"name","namespace","phase","checksum","metadata"}</c>)
    /// may mean, in order: <c>metadata.experiment</c> (alone, when set), else <c>&lt;namespace&gt;/&lt;name&gt;</c>, then
    /// <c>name</c>. Empty when the payload names none.</summary>
    public static IReadOnlyList<string> FlaggerExperimentCandidates(JsonElement payload)
    {
        if (payload.ValueKind != JsonValueKind.Object)
        {
            return [];
        }
        if (payload.TryGetProperty("metadata", out var metadata) && metadata.ValueKind == JsonValueKind.Object
            && metadata.TryGetProperty("experiment", out var fromMetadata) && fromMetadata.ValueKind == JsonValueKind.String
            && !string.IsNullOrWhiteSpace(fromMetadata.GetString()))
        {
            return [fromMetadata.GetString()!.Trim()];
        }
        var name = Text(payload, "name");
        var ns = Text(payload, "namespace");
        var candidates = new List<string>(2);
        if (name is not null && ns is not null)
        {
            candidates.Add($"{ns}/{name}");
        }
        if (name is not null)
        {
            candidates.Add(name);
        }
        return candidates;
    }

    private static string? Text(JsonElement payload, string property) =>
        payload.TryGetProperty(property, out var v) && v.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(v.GetString())
            ? v.GetString()!.Trim()
            : null;
}

/// <summary>A gate's answer: open (the tool may proceed) or closed, with a sentence for the tool's event log.</summary>
public readonly record struct GateResult(bool Open, string Message);
