namespace LogAnalytics.Kpis;

/// <summary>The names of the shadow-validation checks (fields of <c>kind: "validation"</c> events).</summary>
public static class ValidationChecks
{
    /// <summary>The answers' content matched.</summary>
    public const string ContentMatch = "content_match";
    /// <summary>The finish reasons matched.</summary>
    public const string FinishReasonMatch = "finish_reason_match";
    /// <summary>The token counts matched.</summary>
    public const string TokensMatch = "tokens_match";
    /// <summary>The response's <c>model</c> field matched.</summary>
    public const string ModelFieldMatch = "model_field_match";

    /// <summary>All four, in contract order.</summary>
    public static IReadOnlyList<string> All { get; } = [ContentMatch, FinishReasonMatch, TokensMatch, ModelFieldMatch];
}

/// <summary>How often one check matched.</summary>
/// <param name="Checked">Validation events that report this check.</param>
/// <param name="Matched">Of those, how many matched.</param>
public readonly record struct CheckTally(long Checked, long Matched);

/// <summary>The shadow-validation results of an experiment's canary in the window: an event matches when every check
/// it reports matched (events that report no check and no similarity are not counted).</summary>
public sealed record ValidationSample
{
    /// <summary>Validation events with at least one check.</summary>
    public required long Events { get; init; }
    /// <summary>Of those, events where every reported check matched.</summary>
    public required long Matches { get; init; }
    /// <summary>Per check (see <see cref="ValidationChecks"/>).</summary>
    public required IReadOnlyDictionary<string, CheckTally> ByCheck { get; init; }
    /// <summary>Every reported similarity (0..1), sorted ascending.</summary>
    public required double[] Similarities { get; init; }

    /// <summary>No validation events.</summary>
    public static ValidationSample Empty { get; } = new ValidationSampleBuilder().Build();

    /// <summary>Matches / events; null without events.</summary>
    public double? MatchRate => Events == 0 ? null : (double)Matches / Events;
}

/// <summary>Accumulates a <see cref="ValidationSample"/> one event at a time (pure).</summary>
public sealed class ValidationSampleBuilder
{
    private readonly Dictionary<string, CheckTally> _checks = new(StringComparer.Ordinal);
    private readonly List<double> _similarities = [];
    private long _events;
    private long _matches;

    /// <summary>Adds one validation event's results.</summary>
    public void Add(bool? contentMatch, bool? finishReasonMatch, bool? tokensMatch, bool? modelFieldMatch, double? similarity)
    {
        var any = false;
        var all = true;
        foreach (var (name, value) in new[] { (ValidationChecks.ContentMatch, contentMatch), (ValidationChecks.FinishReasonMatch, finishReasonMatch),
                                              (ValidationChecks.TokensMatch, tokensMatch), (ValidationChecks.ModelFieldMatch, modelFieldMatch) })
        {
            if (value is not { } matched)
            {
                continue;
            }
            any = true;
            all &= matched;
            var t = _checks.GetValueOrDefault(name);
            _checks[name] = new CheckTally(t.Checked + 1, t.Matched + (matched ? 1 : 0));
        }
        if (any)
        {
            _events++;
            _matches += all ? 1 : 0;
        }
        if (similarity is { } s && double.IsFinite(s))
        {
            _similarities.Add(s);
        }
    }

    /// <summary>The sample so far.</summary>
    public ValidationSample Build()
    {
        var similarities = _similarities.ToArray();
        Array.Sort(similarities);
        return new ValidationSample
        {
            Events = _events,
            Matches = _matches,
            ByCheck = new Dictionary<string, CheckTally>(_checks, StringComparer.Ordinal),
            Similarities = similarities,
        };
    }
}
