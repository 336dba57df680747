-- Analysts: latency percentiles and error rate per experiment and endpoint, with error counts by class.
SELECT
    experiment_id,
    endpoint,
    count(*)                                              AS requests,
    round(quantile_cont(latency_ms, 0.50), 1)             AS p50_ms,
    round(quantile_cont(latency_ms, 0.95), 1)             AS p95_ms,
    round(quantile_cont(latency_ms, 0.99), 1)             AS p99_ms,
    round(avg(CASE WHEN error_class IS NOT NULL THEN 1 ELSE 0 END), 4) AS error_rate,
    count(*) FILTER (WHERE error_class = 'server')            AS errors_5xx,
    count(*) FILTER (WHERE error_class = 'rate_limit')        AS errors_429,
    count(*) FILTER (WHERE error_class IN ('auth', 'bad_request', 'client_other')) AS errors_4xx,
    count(*) FILTER (WHERE error_class = 'timeout_transport') AS errors_timeout_transport
FROM requests_classified
GROUP BY ALL
ORDER BY experiment_id, endpoint;
