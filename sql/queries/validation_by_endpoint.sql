-- Shadow validation per experiment and endpoint: how often the canary's answer matched the baseline's, overall
-- (every reported check matched) and per check, with Wilson 95 % lower bounds, and the similarity distribution.
-- Run on the analyst snapshot:  duckdb -readonly loganalytics.snapshot.duckdb < sql/queries/validation_by_endpoint.sql
WITH v AS (
    SELECT
        coalesce(experiment, 'default') AS experiment_id,
        coalesce(endpoint, '(unnamed)') AS endpoint,
        content_match, finish_reason_match, tokens_match, model_field_match, similarity,
        CASE
            WHEN coalesce(content_match, finish_reason_match, tokens_match, model_field_match) IS NULL THEN NULL
            ELSE coalesce(content_match, true) AND coalesce(finish_reason_match, true)
                 AND coalesce(tokens_match, true) AND coalesce(model_field_match, true)
        END AS all_match
    FROM validations
), counts AS (
    SELECT
        experiment_id, endpoint,
        count(all_match)                                  AS events,
        count(*) FILTER (WHERE all_match)                 AS matches,
        avg(content_match::INTEGER)                       AS content_match_rate,
        avg(finish_reason_match::INTEGER)                 AS finish_reason_match_rate,
        avg(tokens_match::INTEGER)                        AS tokens_match_rate,
        avg(model_field_match::INTEGER)                   AS model_field_match_rate,
        avg(similarity)                                   AS similarity_mean,
        quantile_cont(similarity, 0.05)                   AS similarity_p5
    FROM v
    GROUP BY ALL
)
SELECT
    experiment_id, endpoint, events, matches,
    round(matches / nullif(events, 0), 4) AS match_rate,
    -- Wilson score interval, z = 1.96 (two-sided 95 %)
    round((matches / events + 1.959964 ^ 2 / (2 * events)
           - 1.959964 * sqrt(matches / events * (1 - matches / events) / events + 1.959964 ^ 2 / (4 * events ^ 2)))
          / (1 + 1.959964 ^ 2 / events), 4) AS match_rate_wilson_low,
    round(content_match_rate, 4)       AS content_match_rate,
    round(finish_reason_match_rate, 4) AS finish_reason_match_rate,
    round(tokens_match_rate, 4)        AS tokens_match_rate,
    round(model_field_match_rate, 4)   AS model_field_match_rate,
    round(similarity_mean, 4)          AS similarity_mean,
    round(similarity_p5, 4)            AS similarity_p5
FROM counts
ORDER BY experiment_id, endpoint;
