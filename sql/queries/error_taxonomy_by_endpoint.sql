-- Error rate by class on each endpoint (the classes of view requests_classified): auth (401/403), rate_limit (429),
-- bad_request (400/404: model not found, bad request), server (5xx), timeout_transport (0, 499, 504, stream cut),
-- client_other, other; with the Retry-After the upstream asked for on 429s when routers log it.
-- A burst of auth or bad_request on a canary is a configuration mistake (API key, model alias), not a performance result.
-- Run on the analyst snapshot:  duckdb -readonly loganalytics.snapshot.duckdb < sql/queries/error_taxonomy_by_endpoint.sql
SELECT
    experiment_id,
    endpoint,
    count(*)                                                            AS requests,
    count(error_class)                                                  AS errors,
    round(count(error_class) / count(*), 5)                             AS error_rate,
    round(count(*) FILTER (WHERE error_class = 'auth') / count(*), 5)              AS auth_rate,
    round(count(*) FILTER (WHERE error_class = 'rate_limit') / count(*), 5)        AS rate_limit_rate,
    round(count(*) FILTER (WHERE error_class = 'bad_request') / count(*), 5)       AS bad_request_rate,
    round(count(*) FILTER (WHERE error_class = 'server') / count(*), 5)            AS server_rate,
    round(count(*) FILTER (WHERE error_class = 'timeout_transport') / count(*), 5) AS timeout_transport_rate,
    round(count(*) FILTER (WHERE error_class = 'client_other') / count(*), 5)      AS client_other_rate,
    round(count(*) FILTER (WHERE error_class = 'other') / count(*), 5)             AS other_rate,
    count(retry_after_ms) FILTER (WHERE error_class = 'rate_limit')                AS rate_limited_with_retry_after,
    median(retry_after_ms) FILTER (WHERE error_class = 'rate_limit') / 1000.0      AS retry_after_median_s,
    max(retry_after_ms) FILTER (WHERE error_class = 'rate_limit') / 1000.0         AS retry_after_max_s
FROM requests_classified
GROUP BY experiment_id, endpoint
ORDER BY experiment_id, endpoint;
