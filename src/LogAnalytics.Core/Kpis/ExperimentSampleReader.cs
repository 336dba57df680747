using DuckDB.NET.Data;
using LogAnalytics.Experiments;
using LogAnalytics.Kpis.Pricing;
using LogAnalytics.Storage;

namespace LogAnalytics.Kpis;

/// <summary>Reads an <see cref="ExperimentSample"/> from DuckDB with the queries in sql/queries (the DuckDB adapter of
/// the KPI step). Uses only events at or before the as-of time. Requests are priced with <paramref name="prices"/>
/// (see <see cref="RequestCost.Of"/>).</summary>
public sealed class ExperimentSampleReader(DuckDBConnection connection, Func<PriceBook>? prices = null)
{
    /// <summary>Experiments with request events at or before <paramref name="asOf"/>.</summary>
    public IReadOnlyList<string> ExperimentsSeen(DateTimeOffset asOf)
    {
        using var cmd = Command("queries/experiments_seen.sql", ("as_of", asOf));
        using var reader = cmd.ExecuteReader();
        var result = new List<string>();
        while (reader.Read())
        {
            result.Add(reader.GetString(0));
        }
        return result;
    }

    /// <summary>Reads the current stage and the window's requests of <paramref name="experiment"/>.</summary>
    public ExperimentSample Read(ExperimentDefinition experiment, DateTimeOffset asOf)
    {
        var stage = CurrentStage(experiment, asOf);
        var latencies = new Dictionary<string, List<double>> { ["baseline"] = new(), ["canary"] = new() };
        var errors = new Dictionary<string, Dictionary<string, long>> { ["baseline"] = new(), ["canary"] = new() };
        var endpoints = new Dictionary<string, HashSet<string>> { ["baseline"] = new(), ["canary"] = new(), [""] = new() };
        var costs = new Dictionary<string, ArmCostBuilder> { ["baseline"] = new(), ["canary"] = new() };
        var retryAfter = new Dictionary<string, List<double>> { ["baseline"] = new(), ["canary"] = new() };
        var perRequest = new Dictionary<string, ArmSampleBuilder> { ["baseline"] = new(), ["canary"] = new() };
        var book = prices?.Invoke() ?? PriceBook.Empty;
        long unassigned = 0;
        using (var cmd = Command("queries/experiment_window_requests.sql",
                   ("experiment", experiment.Id), ("window_from", stage.StartedAt), ("as_of", asOf),
                   ("baseline_endpoint", (object?)experiment.BaselineEndpoint ?? DBNull.Value),
                   ("canary_endpoint", (object?)experiment.CanaryEndpoint ?? DBNull.Value)))
        using (var reader = cmd.ExecuteReader())
        {
            while (reader.Read())
            {
                var side = reader.IsDBNull(0) ? null : reader.GetString(0);
                var endpoint = reader.GetString(1);
                if (side is null || !latencies.ContainsKey(side))
                {
                    unassigned++;
                    endpoints[""].Add(endpoint);
                    continue;
                }
                latencies[side].Add(reader.GetDouble(2));
                endpoints[side].Add(endpoint);
                if (!reader.IsDBNull(3))
                {
                    var cls = reader.GetString(3);
                    errors[side][cls] = errors[side].GetValueOrDefault(cls) + 1;
                }
                var prompt = NullableInt64(reader, 5);
                var completion = NullableInt64(reader, 6);
                var total = NullableInt64(reader, 7);
                var cost = RequestCost.Of(book, endpoint, reader.IsDBNull(4) ? null : reader.GetString(4), prompt, completion, total,
                    reader.IsDBNull(8) ? null : reader.GetDouble(8), reader.GetInt32(9));
                costs[side].Add(cost, prompt, completion, total);
                if (!reader.IsDBNull(10))
                {
                    retryAfter[side].Add(reader.GetDouble(10));
                }
                perRequest[side].Add(reader.GetDouble(2), reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(11) ? null : reader.GetDouble(11), completion);
            }
        }
        ArmSample Arm(string side)
        {
            var values = latencies[side].ToArray();
            Array.Sort(values);
            var waits = retryAfter[side].ToArray();
            Array.Sort(waits);
            return perRequest[side].Complete(new ArmSample(endpoints[side].Order(StringComparer.Ordinal).ToList(), values, errors[side]) { Cost = costs[side].Build(), RetryAfterMs = waits });
        }
        return new ExperimentSample
        {
            Experiment = experiment.Id,
            AsOf = asOf,
            Stage = stage,
            Baseline = Arm("baseline"),
            Canary = Arm("canary"),
            Unassigned = unassigned,
            UnassignedEndpoints = endpoints[""].Order(StringComparer.Ordinal).ToList(),
            Validation = Validations(experiment, stage.StartedAt, asOf),
        };
    }

    private ValidationSample Validations(ExperimentDefinition experiment, DateTimeOffset from, DateTimeOffset asOf)
    {
        var builder = new ValidationSampleBuilder();
        using var cmd = Command("queries/experiment_window_validations.sql",
            ("experiment", experiment.Id), ("window_from", from), ("as_of", asOf),
            ("baseline_endpoint", (object?)experiment.BaselineEndpoint ?? DBNull.Value));
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
        {
            bool? Flag(int i) => reader.IsDBNull(i) ? null : reader.GetBoolean(i);
            builder.Add(Flag(0), Flag(1), Flag(2), Flag(3), reader.IsDBNull(4) ? null : reader.GetDouble(4));
        }
        return builder.Build();
    }

    private static long? NullableInt64(System.Data.Common.DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetInt64(ordinal);

    private StageInfo CurrentStage(ExperimentDefinition experiment, DateTimeOffset asOf)
    {
        using (var cmd = Command("queries/current_stage.sql", ("experiment", experiment.Id), ("as_of", asOf)))
        using (var reader = cmd.ExecuteReader())
        {
            if (reader.Read())
            {
                return new StageInfo(reader.GetDouble(0), reader.GetFieldValue<DateTimeOffset>(1), StageSource.Event);
            }
        }
        var start = experiment.ConfiguredStageStart ?? FirstEvent(experiment.Id, asOf) ?? asOf;
        return experiment.ConfiguredStage is { } configured
            ? new StageInfo(configured, start, StageSource.Configuration)
            : new StageInfo(experiment.Stages[0], start, StageSource.FirstStage);
    }

    private DateTimeOffset? FirstEvent(string experiment, DateTimeOffset asOf)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT min(ts) FROM requests WHERE coalesce(experiment, 'default') = $experiment AND ts <= $as_of";
        cmd.Parameters.Add(new DuckDBParameter("experiment", experiment));
        cmd.Parameters.Add(new DuckDBParameter("as_of", asOf));
        var value = cmd.ExecuteScalar();
        return value is null or DBNull ? null : value switch
        {
            DateTimeOffset d => d,
            DateTime dt => new DateTimeOffset(DateTime.SpecifyKind(dt, DateTimeKind.Utc)),
            _ => null,
        };
    }

    private DuckDBCommand Command(string script, params (string Name, object? Value)[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = SqlScripts.Load(script);
        foreach (var (name, value) in parameters)
        {
            cmd.Parameters.Add(new DuckDBParameter(name, value));
        }
        return cmd;
    }
}
