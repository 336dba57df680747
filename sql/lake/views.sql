-- Views over the analysts' Parquet lake (Storage:LakePath, default <db>.lake/), so that sql/queries run on it
-- unchanged. Any DuckDB (CLI, Python, this worker) reads it while the worker writes; nothing locks the worker's file.
--
--   duckdb
--   SET VARIABLE lake = '/data/loganalytics.lake';
--   .read sql/lake/views.sql
--   SELECT experiment, count(*) FROM requests GROUP BY ALL;
--
-- Layout: <lake>/<table>/experiment=<id>/date=<yyyy-MM-dd>/hour=<H>/<topic>+<partition>+<from>-<to>.parquet (UTC; the
-- experiment column is the experiment id, 'default' for events without one; quarantine has no experiment level).
-- A file is renamed into place only when complete. While a sealed hour is compacted, the compacted file (named by the
-- union of the ranges it replaces) and the small files can both be listed for a moment: each view keeps one row per
-- source position (source, source_partition, source_offset), so nothing is ever counted twice. Readers that do not use
-- these views (Spark, Trino, pandas) should do the same or read sealed hours only.
-- Every table has a file without rows (_empty.parquet, skipped by Spark, Trino and pyarrow), so a table that has no
-- rows yet (often quarantine) reads as empty.

CREATE OR REPLACE VIEW requests AS
SELECT * FROM read_parquet(getvariable('lake') || '/requests/**/*.parquet', hive_partitioning = true, union_by_name = true,
                           hive_types = {'experiment': VARCHAR, 'date': DATE, 'hour': INTEGER})
QUALIFY row_number() OVER (PARTITION BY experiment, date, hour, source, source_partition, source_offset) = 1;

CREATE OR REPLACE VIEW validations AS
SELECT * FROM read_parquet(getvariable('lake') || '/validations/**/*.parquet', hive_partitioning = true, union_by_name = true,
                           hive_types = {'experiment': VARCHAR, 'date': DATE, 'hour': INTEGER})
QUALIFY row_number() OVER (PARTITION BY experiment, date, hour, source, source_partition, source_offset) = 1;

CREATE OR REPLACE VIEW stages AS
SELECT * FROM read_parquet(getvariable('lake') || '/stages/**/*.parquet', hive_partitioning = true, union_by_name = true,
                           hive_types = {'experiment': VARCHAR, 'date': DATE, 'hour': INTEGER})
QUALIFY row_number() OVER (PARTITION BY experiment, date, hour, source, source_partition, source_offset) = 1;

CREATE OR REPLACE VIEW quarantine AS
SELECT * FROM read_parquet(getvariable('lake') || '/quarantine/**/*.parquet', hive_partitioning = true, union_by_name = true,
                           hive_types = {'date': DATE, 'hour': INTEGER})
QUALIFY row_number() OVER (PARTITION BY date, hour, source, source_partition, source_offset) = 1;

-- The same error classes as the worker's view (migration 0003), so error and latency queries give the same answers.
-- The CASE below is a copy of the one in migrations 0002 and 0003, on purpose: applied migrations keep their text, and
-- this file runs in an analyst's own DuckDB that has none of the worker's migrations (so no macro a migration made).
-- Change every copy together; ErrorClassDefinitionTests fails when any two classify a status/error_type differently.
CREATE OR REPLACE VIEW requests_classified AS
SELECT
    r.*,
    coalesce(r.experiment, 'default') AS experiment_id,
    CASE
        WHEN r.status_code IN (0, 499, 504)
          OR lower(coalesce(r.error_type, '')) IN ('timeout', 'transport', 'stream_cut', 'connection', 'connect_timeout', 'read_timeout')
            THEN 'timeout_transport'
        WHEN r.status_code = 429 THEN 'rate_limit'
        WHEN r.status_code IN (401, 403) THEN 'auth'
        WHEN r.status_code IN (400, 404) THEN 'bad_request'
        WHEN r.status_code BETWEEN 400 AND 499 THEN 'client_other'
        WHEN r.status_code BETWEEN 500 AND 599 THEN 'server'
        WHEN r.error IS NOT NULL OR (r.error_type IS NOT NULL AND lower(r.error_type) NOT IN ('', 'none', 'null')) THEN 'other'
    END AS error_class
FROM requests r;

-- Verdicts, hive-partitioned by experiment and the hour of evaluated_at; in the lake about a minute after evaluation.
CREATE OR REPLACE VIEW verdicts AS
SELECT * FROM read_parquet(getvariable('lake') || '/verdicts/**/*.parquet', hive_partitioning = true, union_by_name = true,
                           hive_types = {'experiment': VARCHAR, 'date': DATE, 'hour': INTEGER})
QUALIFY row_number() OVER (PARTITION BY experiment, date, hour, evaluated_at) = 1;
