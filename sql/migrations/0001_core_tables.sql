-- 0001: the tables the ingestion pipeline writes. Applied once at start-up, inside a transaction.
-- Every row carries where it came from (source, source_partition, source_offset): a Kafka topic, or
-- 'file:<sha256>' for a replayed file, with the line number as its offset.

CREATE TABLE requests (
    source            VARCHAR     NOT NULL,  -- Kafka topic, or 'file:<sha256 of the file>'
    source_partition  INTEGER     NOT NULL,  -- Kafka partition (0 for files)
    source_offset     BIGINT      NOT NULL,  -- Kafka offset, or 0-based line number in the file
    ingested_at       TIMESTAMPTZ NOT NULL,  -- when the worker stored the row
    ts                TIMESTAMPTZ NOT NULL,  -- the event's timestamp (router clock, UTC)
    experiment        VARCHAR,               -- NULL = the default experiment
    variant           VARCHAR,               -- 'baseline' | 'canary' | NULL (decided by endpoint names)
    endpoint          VARCHAR     NOT NULL,
    request_id        VARCHAR,
    model             VARCHAR,
    hash_bucket       BIGINT,
    status_code       INTEGER     NOT NULL,  -- 0 = transport failure; 499/504 = timeouts
    latency_ms        DOUBLE      NOT NULL,
    ttft_ms           DOUBLE,
    prompt_tokens     BIGINT,
    completion_tokens BIGINT,
    total_tokens      BIGINT,
    cost_usd          DOUBLE,
    stream            BOOLEAN,
    error_type        VARCHAR,
    error             VARCHAR,
    retry_count       INTEGER,
    attributes        JSON                   -- every field the contract does not name, verbatim
);

CREATE TABLE validations (
    source              VARCHAR     NOT NULL,
    source_partition    INTEGER     NOT NULL,
    source_offset       BIGINT      NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    ts                  TIMESTAMPTZ NOT NULL,
    experiment          VARCHAR,
    request_id          VARCHAR     NOT NULL,
    endpoint            VARCHAR,
    content_match       BOOLEAN,
    finish_reason_match BOOLEAN,
    tokens_match        BOOLEAN,
    model_field_match   BOOLEAN,
    similarity          DOUBLE,
    attributes          JSON
);

CREATE TABLE stages (
    source            VARCHAR     NOT NULL,
    source_partition  INTEGER     NOT NULL,
    source_offset     BIGINT      NOT NULL,
    ingested_at       TIMESTAMPTZ NOT NULL,
    ts                TIMESTAMPTZ NOT NULL,
    experiment        VARCHAR,
    weight_percent    DOUBLE      NOT NULL,
    attributes        JSON
);

-- Messages that could not be stored as events, with the reason; the raw bytes are kept as they arrived.
CREATE TABLE quarantine (
    source            VARCHAR     NOT NULL,
    source_partition  INTEGER     NOT NULL,
    source_offset     BIGINT      NOT NULL,
    received_at       TIMESTAMPTZ NOT NULL,
    reason            VARCHAR     NOT NULL,  -- a fixed code: empty, not_json, not_object, missing_field, ...
    detail            VARCHAR     NOT NULL,  -- what exactly was wrong
    message_key       BLOB,
    raw               BLOB
);

-- The next offset to read per source partition, written in the same transaction as the rows it covers.
-- This table, not Kafka's committed offsets, is what makes ingestion exactly once.
CREATE TABLE ingest_offsets (
    source            VARCHAR     NOT NULL,
    source_partition  INTEGER     NOT NULL,
    next_offset       BIGINT      NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, source_partition)
);
