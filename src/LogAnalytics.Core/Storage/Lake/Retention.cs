using System.Globalization;
using DuckDB.NET.Data;
using Microsoft.Extensions.Logging;

namespace LogAnalytics.Storage.Lake;

/// <summary>
/// Deletes old rows from the worker's DuckDB file so that it stops growing: rows of <c>requests</c>,
/// <c>validations</c> and <c>quarantine</c> older than <c>Storage:RetentionDays</c>, already in the lake (below the
/// lake's durable offset of their partition) and outside every open experiment window. An open window is the current
/// stage of an experiment seen in the last <c>RetentionDays</c>: from the stage's start, all of its rows stay, however
/// old, because the verdict is computed from them. <c>stages</c> and <c>verdicts</c> are small and kept.
/// </summary>
public sealed class Retention(DuckDBConnection connection, TimeSpan keep, ILogger log)
{
    private readonly HashSet<(string, DateTimeOffset)> _reported = [];

    /// <summary>Open experiment windows at <paramref name="now"/>: experiments seen since <c>now - keep</c> and the
    /// start of their current stage.</summary>
    public IReadOnlyList<(string Experiment, DateTimeOffset StageStartedAt)> OpenWindows(DateTimeOffset now)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"""
            WITH seen AS (
                SELECT DISTINCT coalesce(experiment, 'default') AS experiment_id FROM requests WHERE ts >= {LakeWriter.Literal(now - keep)}
                UNION
                SELECT DISTINCT coalesce(experiment, 'default') FROM stages WHERE ts >= {LakeWriter.Literal(now - keep)}
            )
            SELECT s.experiment_id, max(st.ts)
            FROM seen s JOIN stages st ON coalesce(st.experiment, 'default') = s.experiment_id AND st.ts <= {LakeWriter.Literal(now)}
            GROUP BY 1 ORDER BY 1
            """;
        using var reader = cmd.ExecuteReader();
        var result = new List<(string, DateTimeOffset)>();
        while (reader.Read())
        {
            result.Add((reader.GetString(0), reader.GetFieldValue<DateTimeOffset>(1)));
        }
        return result;
    }

    /// <summary>Deletes what retention allows at <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="lakeOffsets">The lake's durable offsets (rows below them are in the lake); null when the lake is
    /// disabled, and then age and open windows alone decide.</param>
    /// <returns>Rows deleted.</returns>
    public long Run(DateTimeOffset now, IReadOnlyDictionary<(string Source, int Partition), long>? lakeOffsets)
    {
        if (lakeOffsets is { Count: 0 })
        {
            return 0;
        }
        var cutoff = now - keep;
        var windows = OpenWindows(now);
        foreach (var (experiment, started) in windows.Where(w => w.StageStartedAt < cutoff))
        {
            if (_reported.Add((experiment, started)))
            {
                log.LogInformation(
                    "Experiment {Experiment} keeps its rows since {StageStartedAt:o} ({Days:F1} days), longer than Storage:RetentionDays {RetentionDays}: its current stage is still open and its verdict needs the whole window. Announce the next stage (or end the experiment) to let retention delete them",
                    experiment, started, (now - started).TotalDays, keep.TotalDays);
            }
        }
        string OutsideWindows(string time) => string.Concat(windows.Where(w => w.StageStartedAt < cutoff).Select(w =>
            $" AND NOT (coalesce(t.experiment, 'default') = {LakeWriter.Literal(w.Experiment)} AND t.{time} >= {LakeWriter.Literal(w.StageStartedAt)})"));
        var inLake = lakeOffsets is null
            ? ""
            : " AND (" + string.Join(" OR ", lakeOffsets.Select(kv => string.Create(CultureInfo.InvariantCulture,
                $"(t.source = {LakeWriter.Literal(kv.Key.Source)} AND t.source_partition = {kv.Key.Partition} AND t.source_offset < {kv.Value})"))) + ")";
        long deleted = 0;
        foreach (var (table, time) in new[] { ("requests", "ts"), ("validations", "ts"), ("quarantine", "received_at") })
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = $"DELETE FROM {table} t WHERE t.{time} < {LakeWriter.Literal(cutoff)}{inLake}{(table == "quarantine" ? "" : OutsideWindows(time))}";
            deleted += cmd.ExecuteNonQuery();
        }
        return deleted;
    }
}
