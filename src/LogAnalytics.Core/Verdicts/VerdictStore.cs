using DuckDB.NET.Data;
using LogAnalytics.Evaluation;

namespace LogAnalytics.Verdicts;

/// <summary>The <c>verdicts</c> and <c>guardrail_states</c> tables: every verdict computed, and what the policy and the
/// judge remember between evaluations (the decision, when go was reached, each guardrail's running minimum p-values).</summary>
public sealed class VerdictStore(DuckDBConnection connection)
{
    /// <summary>Appends a verdict.</summary>
    public void Append(Verdict verdict)
    {
        ArgumentNullException.ThrowIfNull(verdict);
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "INSERT INTO verdicts VALUES ($experiment, $evaluated_at, $decision, $current_stage, $next_stage, $stage_started_at, $verdict)";
        cmd.Parameters.Add(new DuckDBParameter("experiment", verdict.Experiment));
        cmd.Parameters.Add(new DuckDBParameter("evaluated_at", verdict.EvaluatedAt));
        cmd.Parameters.Add(new DuckDBParameter("decision", verdict.Decision));
        cmd.Parameters.Add(new DuckDBParameter("current_stage", verdict.CurrentStage));
        cmd.Parameters.Add(new DuckDBParameter("next_stage", (object?)verdict.NextStage ?? DBNull.Value));
        cmd.Parameters.Add(new DuckDBParameter("stage_started_at", verdict.Window.From));
        cmd.Parameters.Add(new DuckDBParameter("verdict", verdict.ToJson()));
        cmd.ExecuteNonQuery();
        foreach (var m in verdict.Memory ?? [])
        {
            using var state = connection.CreateCommand();
            state.CommandText = "INSERT INTO guardrail_states VALUES ($experiment, $stage_started_at, $metric, $evaluated_at, $fail, $pass, $failed)";
            state.Parameters.Add(new DuckDBParameter("experiment", verdict.Experiment));
            state.Parameters.Add(new DuckDBParameter("stage_started_at", verdict.Window.From));
            state.Parameters.Add(new DuckDBParameter("metric", m.Metric));
            state.Parameters.Add(new DuckDBParameter("evaluated_at", verdict.EvaluatedAt));
            state.Parameters.Add(new DuckDBParameter("fail", m.FailPValue));
            state.Parameters.Add(new DuckDBParameter("pass", m.PassPValue));
            state.Parameters.Add(new DuckDBParameter("failed", m.HasFailed));
            state.ExecuteNonQuery();
        }
    }

    /// <summary>The latest decision for <paramref name="experiment"/> at or before <paramref name="asOf"/>, with when that
    /// decision was first reached in the same stage; null when there is none.</summary>
    public PreviousDecision? LoadPrevious(string experiment, DateTimeOffset asOf)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Storage.SqlScripts.Load("queries/previous_decision.sql");
        cmd.Parameters.Add(new DuckDBParameter("experiment", experiment));
        cmd.Parameters.Add(new DuckDBParameter("as_of", asOf));
        using var reader = cmd.ExecuteReader();
        if (!reader.Read())
        {
            return null;
        }
        var previous = new PreviousDecision(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
            reader.IsDBNull(3) ? "" : reader.GetString(3));
        return previous with
        {
            GoSince = GoSince(experiment, previous.StageStartedAt, asOf),
            Guardrails = LoadStates(experiment, previous.StageStartedAt, asOf),
        };
    }

    private DateTimeOffset? GoSince(string experiment, DateTimeOffset stageStartedAt, DateTimeOffset asOf)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "SELECT min(evaluated_at) FROM verdicts WHERE experiment = $experiment AND stage_started_at = $stage AND decision = 'go' AND evaluated_at <= $as_of";
        cmd.Parameters.Add(new DuckDBParameter("experiment", experiment));
        cmd.Parameters.Add(new DuckDBParameter("stage", stageStartedAt));
        cmd.Parameters.Add(new DuckDBParameter("as_of", asOf));
        using var reader = cmd.ExecuteReader();
        return reader.Read() && !reader.IsDBNull(0) ? reader.GetFieldValue<DateTimeOffset>(0) : null;
    }

    /// <summary>The running minimum p-values per guardrail of the stage, as written with its latest verdict at or before
    /// <paramref name="asOf"/> (sql/queries/guardrail_states.sql).</summary>
    public IReadOnlyDictionary<string, GuardrailMemory> LoadStates(string experiment, DateTimeOffset stageStartedAt, DateTimeOffset asOf)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Storage.SqlScripts.Load("queries/guardrail_states.sql");
        cmd.Parameters.Add(new DuckDBParameter("experiment", experiment));
        cmd.Parameters.Add(new DuckDBParameter("stage_started_at", stageStartedAt));
        cmd.Parameters.Add(new DuckDBParameter("as_of", asOf));
        using var reader = cmd.ExecuteReader();
        var states = new Dictionary<string, GuardrailMemory>(StringComparer.Ordinal);
        while (reader.Read())
        {
            var metric = reader.GetString(0);
            states[metric] = new GuardrailMemory(metric, reader.GetDouble(1), reader.GetDouble(2), reader.GetBoolean(3));
        }
        return states;
    }
}
