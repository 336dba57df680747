using DuckDB.NET.Data;
using LogAnalytics.Evaluation;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;

namespace LogAnalytics.Verdicts;

/// <summary>Evaluates experiments from a DuckDB connection as of a time: the shared path of the worker and of
/// <c>loganalytics verdict</c>. Requests are priced with the book <paramref name="prices"/> returns at each evaluation.</summary>
public sealed class VerdictService(DuckDBConnection connection, ExperimentsOptions options, ExperimentEvaluator evaluator, Func<PriceBook>? prices = null)
{
    private readonly ExperimentSampleReader _reader = new(connection, prices);
    private readonly VerdictStore _store = new(connection);

    /// <summary>The experiments to judge: every configured one, and every one seen in events up to <paramref name="asOf"/>.</summary>
    public IReadOnlyList<string> Experiments(DateTimeOffset asOf) =>
        options.Items.Select(e => e.Id).Concat(_reader.ExperimentsSeen(asOf)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The verdict of one experiment as of <paramref name="asOf"/>, using only events at or before it and the
    /// decisions stored at or before it.</summary>
    public Verdict Evaluate(string experiment, DateTimeOffset asOf)
    {
        var definition = ExperimentCatalog.Resolve(options, experiment);
        var sample = _reader.Read(definition, asOf);
        var previous = _store.LoadPrevious(experiment, asOf);
        return evaluator.Evaluate(definition, sample, previous);
    }

    /// <summary>Stores a verdict in the <c>verdicts</c> table.</summary>
    public void Record(Verdict verdict) => _store.Append(verdict);
}
