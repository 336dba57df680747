using DuckDB.NET.Native;
using LogAnalytics.Ingestion;
using LogAnalytics.Ingestion.Decoding;

namespace LogAnalytics.Storage;

/// <summary>
/// The columns of <c>requests</c>, <c>validations</c>, <c>stages</c> and <c>quarantine</c> (sql/migrations, in table
/// order) and how an event fills one row of each through a <see cref="DuckDbChunkWriter"/>.
/// </summary>
internal static class DuckDbEventRows
{
    private const DuckDBType Varchar = DuckDBType.Varchar;
    private const DuckDBType Integer = DuckDBType.Integer;
    private const DuckDBType BigInt = DuckDBType.BigInt;
    private const DuckDBType Double = DuckDBType.Double;
    private const DuckDBType Boolean = DuckDBType.Boolean;
    private const DuckDBType TimestampTz = (DuckDBType)31; // DUCKDB_TYPE_TIMESTAMP_TZ in duckdb.h
    private const DuckDBType Blob = DuckDBType.Blob;

    /// <summary>requests: source, source_partition, source_offset, ingested_at, ts, experiment, variant, endpoint,
    /// request_id, model, hash_bucket, status_code, latency_ms, ttft_ms, prompt_tokens, completion_tokens,
    /// total_tokens, cost_usd, stream, error_type, error, retry_count, attributes (JSON), retry_after_ms.</summary>
    public static readonly DuckDBType[] RequestColumns =
    [
        Varchar, Integer, BigInt, TimestampTz, TimestampTz, Varchar, Varchar, Varchar, Varchar, Varchar, BigInt, Integer,
        Double, Double, BigInt, BigInt, BigInt, Double, Boolean, Varchar, Varchar, Integer, Varchar, Double,
    ];

    /// <summary>validations: source, source_partition, source_offset, ingested_at, ts, experiment, request_id,
    /// endpoint, content_match, finish_reason_match, tokens_match, model_field_match, similarity, attributes.</summary>
    public static readonly DuckDBType[] ValidationColumns =
    [
        Varchar, Integer, BigInt, TimestampTz, TimestampTz, Varchar, Varchar, Varchar, Boolean, Boolean, Boolean, Boolean,
        Double, Varchar,
    ];

    /// <summary>stages: source, source_partition, source_offset, ingested_at, ts, experiment, weight_percent,
    /// attributes.</summary>
    public static readonly DuckDBType[] StageColumns = [Varchar, Integer, BigInt, TimestampTz, TimestampTz, Varchar, Double, Varchar];

    /// <summary>quarantine: source, source_partition, source_offset, received_at, reason, detail, message_key, raw.</summary>
    public static readonly DuckDBType[] QuarantineColumns = [Varchar, Integer, BigInt, TimestampTz, Varchar, Varchar, Blob, Blob];

    private static void Position(DuckDbChunkWriter a, SourcePosition position)
    {
        a.String(0, position.Source);
        a.Int32(1, position.Partition);
        a.Int64(2, position.Offset);
    }

    public static void Request(DuckDbChunkWriter a, SourcePosition position, RequestEvent r, DateTimeOffset now)
    {
        Position(a, position);
        a.TimestampTzValue(3, now);
        a.TimestampTzValue(4, r.Timestamp);
        a.String(5, r.Experiment);
        a.String(6, r.Variant);
        a.String(7, r.Endpoint);
        a.String(8, r.RequestId);
        a.String(9, r.Model);
        a.Int64(10, r.HashBucket);
        a.Int32(11, r.StatusCode);
        a.Double(12, r.LatencyMs);
        a.Double(13, r.TtftMs);
        a.Int64(14, r.PromptTokens);
        a.Int64(15, r.CompletionTokens);
        a.Int64(16, r.TotalTokens);
        a.Double(17, r.CostUsd);
        a.Boolean(18, r.Stream);
        a.String(19, r.ErrorType);
        a.String(20, r.Error);
        a.Int32(21, r.RetryCount);
        a.String(22, r.Attributes);
        a.Double(23, r.RetryAfterMs);
        a.EndRow();
    }

    public static void Validation(DuckDbChunkWriter a, SourcePosition position, ValidationEvent v, DateTimeOffset now)
    {
        Position(a, position);
        a.TimestampTzValue(3, now);
        a.TimestampTzValue(4, v.Timestamp);
        a.String(5, v.Experiment);
        a.String(6, v.RequestId);
        a.String(7, v.Endpoint);
        a.Boolean(8, v.ContentMatch);
        a.Boolean(9, v.FinishReasonMatch);
        a.Boolean(10, v.TokensMatch);
        a.Boolean(11, v.ModelFieldMatch);
        a.Double(12, v.Similarity);
        a.String(13, v.Attributes);
        a.EndRow();
    }

    public static void Stage(DuckDbChunkWriter a, SourcePosition position, StageEvent s, DateTimeOffset now)
    {
        Position(a, position);
        a.TimestampTzValue(3, now);
        a.TimestampTzValue(4, s.Timestamp);
        a.String(5, s.Experiment);
        a.Double(6, s.WeightPercent);
        a.String(7, s.Attributes);
        a.EndRow();
    }

    public static void Quarantine(DuckDbChunkWriter a, QuarantinedMessage q)
    {
        Position(a, q.Position);
        a.TimestampTzValue(3, q.ReceivedAt);
        a.String(4, q.Rejection.Reason);
        a.String(5, q.Rejection.Detail);
        a.Blob(6, q.Key);
        a.Blob(7, q.Raw);
        a.EndRow();
    }
}
