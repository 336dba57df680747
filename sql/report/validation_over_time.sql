-- Report: the canary's shadow-validation match rate per time bucket ($bucket_seconds wide, bucket_start in epoch
-- seconds): an event matches when every check it reports matched (as sql/queries/validation_by_endpoint.sql), with the
-- Wilson 95 % lower bound (z = 1.959964). Events naming the baseline endpoint as the one compared are left out.
WITH v AS (
    SELECT ts,
        CASE
            WHEN coalesce(content_match, finish_reason_match, tokens_match, model_field_match) IS NULL THEN NULL
            ELSE coalesce(content_match, true) AND coalesce(finish_reason_match, true)
                 AND coalesce(tokens_match, true) AND coalesce(model_field_match, true)
        END AS all_match
    FROM validations
    WHERE coalesce(experiment, 'default') = $experiment AND ts >= $from AND ts <= $to
      AND (endpoint IS NULL OR $baseline_endpoint IS NULL OR endpoint <> $baseline_endpoint)
), counts AS (
    SELECT floor(epoch(ts) / $bucket_seconds) * $bucket_seconds AS bucket_start,
           count(all_match) AS events, count(*) FILTER (WHERE all_match) AS matches
    FROM v
    GROUP BY bucket_start
    HAVING count(all_match) > 0
)
SELECT bucket_start, events, matches, matches / events AS match_rate,
    (matches / events + 1.959964 ^ 2 / (2 * events)
     - 1.959964 * sqrt(matches / events * (1 - matches / events) / events + 1.959964 ^ 2 / (4 * events ^ 2)))
    / (1 + 1.959964 ^ 2 / events) AS wilson_low
FROM counts
ORDER BY bucket_start;
