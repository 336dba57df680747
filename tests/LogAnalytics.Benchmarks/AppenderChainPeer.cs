using DuckDB.NET.Data;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Benchmarks;

/// <summary>
/// The peer for <c>profile --set store:peer=chain</c>: the same rows and offsets in one transaction per batch, appended
/// with DuckDB.NET's <c>CreateRow().AppendValue(...)</c> chain as <c>DuckDbEventStore.Write</c> did before it filled
/// DuckDB's data chunks itself. Requests, validations and stages only (the profile's synthetic messages are all
/// accepted); no skipping of stored offsets (each round writes a new file).
/// </summary>
internal static class AppenderChainPeer
{
    public static void Write(DuckDBConnection connection, IngestBatch batch)
    {
        var now = DateTimeOffset.UtcNow;
        using var tx = connection.BeginTransaction();
        using (var requests = connection.CreateAppender("requests"))
        using (var validations = connection.CreateAppender("validations"))
        using (var stages = connection.CreateAppender("stages"))
        {
            foreach (var (p, evt) in batch.Events)
            {
                switch (evt)
                {
                    case RequestEvent r:
                        requests.CreateRow()
                            .AppendValue(p.Source).AppendValue(p.Partition).AppendValue(p.Offset)
                            .AppendValue(now).AppendValue(r.Timestamp).AppendValue(r.Experiment).AppendValue(r.Variant)
                            .AppendValue(r.Endpoint).AppendValue(r.RequestId).AppendValue(r.Model).AppendValue(r.HashBucket)
                            .AppendValue(r.StatusCode).AppendValue(r.LatencyMs).AppendValue(r.TtftMs)
                            .AppendValue(r.PromptTokens).AppendValue(r.CompletionTokens).AppendValue(r.TotalTokens)
                            .AppendValue(r.CostUsd).AppendValue(r.Stream).AppendValue(r.ErrorType).AppendValue(r.Error)
                            .AppendValue(r.RetryCount).AppendValue(r.Attributes).AppendValue(r.RetryAfterMs)
                            .EndRow();
                        break;
                    case ValidationEvent v:
                        validations.CreateRow()
                            .AppendValue(p.Source).AppendValue(p.Partition).AppendValue(p.Offset)
                            .AppendValue(now).AppendValue(v.Timestamp).AppendValue(v.Experiment).AppendValue(v.RequestId)
                            .AppendValue(v.Endpoint).AppendValue(v.ContentMatch).AppendValue(v.FinishReasonMatch)
                            .AppendValue(v.TokensMatch).AppendValue(v.ModelFieldMatch).AppendValue(v.Similarity)
                            .AppendValue(v.Attributes)
                            .EndRow();
                        break;
                    case StageEvent s:
                        stages.CreateRow()
                            .AppendValue(p.Source).AppendValue(p.Partition).AppendValue(p.Offset)
                            .AppendValue(now).AppendValue(s.Timestamp).AppendValue(s.Experiment)
                            .AppendValue(s.WeightPercent).AppendValue(s.Attributes)
                            .EndRow();
                        break;
                }
            }
        }
        foreach (var ((source, partition), next) in batch.NextOffsets)
        {
            using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                INSERT INTO ingest_offsets VALUES ($1, $2, $3, $4)
                ON CONFLICT (source, source_partition) DO UPDATE
                SET next_offset = greatest(ingest_offsets.next_offset, excluded.next_offset), updated_at = excluded.updated_at
                """;
            cmd.Parameters.Add(new DuckDBParameter(source));
            cmd.Parameters.Add(new DuckDBParameter(partition));
            cmd.Parameters.Add(new DuckDBParameter(next));
            cmd.Parameters.Add(new DuckDBParameter(now));
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
    }
}
