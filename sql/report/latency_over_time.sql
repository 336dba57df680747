-- Report: p50 / p95 / p99 latency (ms, quantile_cont) per side and time bucket ($bucket_seconds wide, bucket_start in
-- epoch seconds), each with a distribution-free 95 % interval: the order statistics at ranks n q -/+ 1.96 sqrt(n q (1-q))
-- (normal approximation of the binomial; clipped to the smallest and largest latency of the bucket).
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
), buckets AS (
    SELECT side, floor(epoch(ts) / $bucket_seconds) * $bucket_seconds AS bucket_start,
           count(*) AS requests,
           quantile_cont(latency_ms, 0.50) AS p50_ms,
           quantile_cont(latency_ms, 0.95) AS p95_ms,
           quantile_cont(latency_ms, 0.99) AS p99_ms,
           list_sort(list(latency_ms)) AS sorted
    FROM sided
    WHERE side IN ('baseline', 'canary')
    GROUP BY side, bucket_start
)
SELECT side, bucket_start, requests,
    p50_ms,
    sorted[greatest(1, floor(requests * 0.50 - 1.959964 * sqrt(requests * 0.50 * 0.50)))::BIGINT] AS p50_low_ms,
    sorted[least(requests, ceil(requests * 0.50 + 1.959964 * sqrt(requests * 0.50 * 0.50)) + 1)::BIGINT] AS p50_high_ms,
    p95_ms,
    sorted[greatest(1, floor(requests * 0.95 - 1.959964 * sqrt(requests * 0.95 * 0.05)))::BIGINT] AS p95_low_ms,
    sorted[least(requests, ceil(requests * 0.95 + 1.959964 * sqrt(requests * 0.95 * 0.05)) + 1)::BIGINT] AS p95_high_ms,
    p99_ms,
    sorted[greatest(1, floor(requests * 0.99 - 1.959964 * sqrt(requests * 0.99 * 0.01)))::BIGINT] AS p99_low_ms,
    sorted[least(requests, ceil(requests * 0.99 + 1.959964 * sqrt(requests * 0.99 * 0.01)) + 1)::BIGINT] AS p99_high_ms
FROM buckets
ORDER BY side, bucket_start;
