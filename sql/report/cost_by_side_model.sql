-- Report: cost per side (model = NULL) and per side and model, from view requests_costed (the event's cost_usd, else
-- tokens x the price book): cost per request and per 1,000 requests (USD, priced requests only: unpriced ones are
-- counted, never priced as $0), tokens per request, and the monthly cost (30 days) at the side's observed volume.
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
SELECT side, model_key AS model,
    count(*)                                   AS requests,
    count(request_cost_usd)                    AS priced,
    count(*) - count(request_cost_usd)         AS unpriced,
    count(*) FILTER (WHERE cost_source IN ('event', 'price_book')) AS costed_from_data,
    avg(request_cost_usd)                      AS cost_per_request_usd,
    avg(request_cost_usd) * 1000               AS cost_per_1k_requests_usd,
    avg(input_tokens + output_tokens)          AS tokens_per_request,
    sum(request_cost_usd)                      AS cost_usd,
    count(*) / greatest(epoch(max(ts) - min(ts)) / 86400.0, 1.0 / 24) * 30 * avg(request_cost_usd) AS monthly_usd_at_this_volume
FROM sided
WHERE side IN ('baseline', 'canary')
GROUP BY GROUPING SETS ((side), (side, model_key))
ORDER BY side, model NULLS FIRST, requests DESC;
