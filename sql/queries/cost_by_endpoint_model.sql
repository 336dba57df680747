-- What requests cost, per experiment, endpoint and model: cost per request and per 1,000 requests, tokens per request,
-- unpriced requests by reason (never counted as $0), and the monthly cost at the observed volume.
-- Run on the analyst snapshot:  duckdb -readonly loganalytics.snapshot.duckdb < sql/queries/cost_by_endpoint_model.sql
-- Costs come from view requests_costed: the event's cost_usd, else tokens x the price book (table prices).
SELECT
    experiment_id,
    endpoint,
    model_key                                                        AS model,
    count(*)                                                         AS requests,
    count(request_cost_usd)                                          AS priced,
    count(*) - count(request_cost_usd)                               AS unpriced,
    count(*) FILTER (WHERE cost_source = 'no_price')                 AS unpriced_no_price,
    count(*) FILTER (WHERE cost_source = 'no_tokens')                AS unpriced_no_tokens,
    round(avg(request_cost_usd), 6)                                  AS cost_per_request_usd,
    round(avg(request_cost_usd) * 1000, 4)                           AS cost_per_1k_requests_usd,
    round(avg(input_tokens + output_tokens), 1)                      AS tokens_per_request,
    round(sum(request_cost_usd), 4)                                  AS cost_usd,
    round(count(*) / greatest(epoch(max(ts) - min(ts)) / 86400.0, 1.0 / 24) * 30 * avg(request_cost_usd), 2)
                                                                     AS monthly_usd_at_this_volume
FROM requests_costed
GROUP BY ALL
ORDER BY experiment_id, endpoint, requests DESC;
