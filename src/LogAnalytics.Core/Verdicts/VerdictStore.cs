using DuckDB.NET.Data;
using LogAnalytics.Evaluation;

namespace LogAnalytics.Verdicts;

/// <summary>The <c>verdicts</c> table: every verdict computed, and what the policy remembers between evaluations.</summary>
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
        return new PreviousDecision(reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1), reader.GetFieldValue<DateTimeOffset>(2),
            reader.IsDBNull(3) ? "" : reader.GetString(3));
    }
}
