-- Report: per side and model: requests, p50 / p99 latency (ms, quantile_cont), error rate (any error class) and cost
-- per request (USD, priced requests only; NULL when none is priced).
WITH sided AS (
    SELECT
        CASE
            WHEN variant IS NOT NULL THEN variant
            WHEN endpoint = $baseline_endpoint THEN 'baseline'
            WHEN endpoint = $canary_endpoint THEN 'canary'
        END AS side,
        *
    FROM requests_costed
    WHERE experiment_id = $experiment AND ts >= $from AND ts <= $to
)
SELECT side, coalesce(model_key, '(no model)') AS model,
    count(*)                          AS requests,
    quantile_cont(latency_ms, 0.50)   AS p50_ms,
    quantile_cont(latency_ms, 0.99)   AS p99_ms,
    count(error_class) / count(*)     AS error_rate,
    avg(request_cost_usd)             AS cost_per_request_usd
FROM sided
WHERE side IN ('baseline', 'canary')
GROUP BY ALL
ORDER BY side, requests DESC, model;
