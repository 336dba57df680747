-- Report: the endpoints on each side of one experiment between $from and $to, with their requests and first and last
-- event. A side is the event's variant, else the configured endpoint names ($baseline_endpoint, $canary_endpoint).
-- Parameters of every sql/report file: $experiment, $from, $to, $baseline_endpoint, $canary_endpoint (NULL when
-- not configured); the ones over time also $bucket_seconds (the width of a time bucket).
WITH sided AS (
    SELECT
        CASE
            WHEN variant IS NOT NULL THEN variant
            WHEN endpoint = $baseline_endpoint THEN 'baseline'
            WHEN endpoint = $canary_endpoint THEN 'canary'
        END AS side,
        *
    FROM requests_classified
    WHERE experiment_id = $experiment AND ts >= $from AND ts <= $to
)
SELECT side, endpoint, count(*) AS requests, min(ts) AS first_at, max(ts) AS last_at
FROM sided
WHERE side IN ('baseline', 'canary')
GROUP BY side, endpoint
ORDER BY side, requests DESC, endpoint;
