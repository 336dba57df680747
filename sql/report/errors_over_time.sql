-- Report: error rate per side and time bucket ($bucket_seconds wide, bucket_start in epoch seconds), by the classes of
-- view requests_classified: server (5xx but 504), rate_limit (429), timeout_transport (0, 499, 504, stream cut), auth
-- (401/403), bad_request (400/404); other_error = client_other + other. Each rate is the class's share of all the
-- side's requests in the bucket, so the classes stack up to the bucket's error rate.
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
SELECT side, floor(epoch(ts) / $bucket_seconds) * $bucket_seconds AS bucket_start,
    count(*) AS requests,
    count(error_class) / count(*) AS error_rate,
    count(*) FILTER (WHERE error_class = 'server') / count(*)            AS server_rate,
    count(*) FILTER (WHERE error_class = 'rate_limit') / count(*)        AS rate_limit_rate,
    count(*) FILTER (WHERE error_class = 'timeout_transport') / count(*) AS timeout_transport_rate,
    count(*) FILTER (WHERE error_class = 'auth') / count(*)              AS auth_rate,
    count(*) FILTER (WHERE error_class = 'bad_request') / count(*)       AS bad_request_rate,
    count(*) FILTER (WHERE error_class IN ('client_other', 'other')) / count(*) AS other_error_rate
FROM sided
WHERE side IN ('baseline', 'canary')
GROUP BY side, bucket_start
ORDER BY side, bucket_start;
