using DuckDB.NET.Data;
using LogAnalytics.Evaluation.Planning;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;

namespace LogAnalytics.Verdicts;

/// <summary>One experiment's plan: the traffic it was measured on and every stage's needs.</summary>
/// <param name="Experiment">The experiment id.</param>
/// <param name="MeasuredFrom">The start of the window the traffic was measured in (the current stage's start).</param>
/// <param name="MeasuredTo">Its end: the latest request at or before the as-of time.</param>
/// <param name="CurrentStage">The stage the traffic was observed at (percent).</param>
/// <param name="BaselineRequests">Baseline requests in the window.</param>
/// <param name="CanaryRequests">Canary requests in the window.</param>
/// <param name="RequestsPerHour">Requests per hour, both sides; null without a time span.</param>
/// <param name="Stages">Per stage below 100 %.</param>
public sealed record ExperimentPlan(string Experiment, DateTimeOffset MeasuredFrom, DateTimeOffset MeasuredTo, double CurrentStage,
    long BaselineRequests, long CanaryRequests, double? RequestsPerHour, IReadOnlyList<StagePlan> Stages);

/// <summary>Plans experiments from a DuckDB file (the adapter behind <c>loganalytics plan</c>).</summary>
public sealed class PlanService(DuckDBConnection connection, ExperimentsOptions options, RolloutPlanner planner, Func<PriceBook>? prices = null)
{
    private readonly ExperimentSampleReader _reader = new(connection, prices);

    /// <summary>The experiments to plan: every configured one and every one seen up to <paramref name="asOf"/>.</summary>
    public IReadOnlyList<string> Experiments(DateTimeOffset asOf) =>
        options.Items.Select(e => e.Id).Concat(_reader.ExperimentsSeen(asOf)).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>The plan of <paramref name="experiment"/> from its traffic up to its latest request at or before
    /// <paramref name="asOf"/> (so a file backfilled days ago is measured over its own time span); null without requests.</summary>
    public ExperimentPlan? Plan(string experiment, DateTimeOffset asOf)
    {
        var last = LastRequest(experiment, asOf);
        if (last is not { } to)
        {
            return null;
        }
        var definition = ExperimentCatalog.Resolve(options, experiment);
        var sample = _reader.Read(definition, to);
        var hours = (to - sample.Stage.StartedAt).TotalHours;
        var total = sample.Baseline.Requests + sample.Canary.Requests;
        return new ExperimentPlan(experiment, sample.Stage.StartedAt, to, sample.Stage.WeightPercent, sample.Baseline.Requests,
            sample.Canary.Requests, hours > 0 && total > 0 ? Math.Round(total / hours, 1) : null, planner.Plan(definition, sample));
    }

    private DateTimeOffset? LastRequest(string experiment, DateTimeOffset asOf)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = SqlScripts.Load("queries/experiment_last_request.sql");
        cmd.Parameters.Add(new DuckDBParameter("experiment", experiment));
        cmd.Parameters.Add(new DuckDBParameter("as_of", asOf));
        return cmd.ExecuteScalar() switch
        {
            DateTimeOffset d => d,
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            _ => null,
        };
    }
}
