-- Live KPIs per endpoint over every stored request: what `loganalytics demo` shows once a second.
-- Analysts can run it as is on the database or on its snapshot (<db>.snapshot.duckdb).
--   errors       = server-side failures: any 5xx, and status 0 (transport failure, no HTTP answer);
--   rate_limited = 429s, counted apart because the client, not the endpoint, is usually the cause;
--   p50/p95/p99  = latency of answered requests (status 1..399), so 30 s timeouts do not hide in them.
SELECT
    endpoint,
    mode(variant)                                                               AS variant,
    count(*)                                                                    AS requests,
    count(*) / sum(count(*)) OVER ()                                            AS traffic_share,
    count(*) FILTER (WHERE status_code = 0 OR status_code >= 500)               AS errors,
    count(*) FILTER (WHERE status_code = 0 OR status_code >= 500) / count(*)    AS error_rate,
    count(*) FILTER (WHERE status_code = 429) / count(*)                        AS rate_limited_rate,
    quantile_cont(latency_ms, 0.50) FILTER (WHERE status_code BETWEEN 1 AND 399) AS p50_ms,
    quantile_cont(latency_ms, 0.95) FILTER (WHERE status_code BETWEEN 1 AND 399) AS p95_ms,
    quantile_cont(latency_ms, 0.99) FILTER (WHERE status_code BETWEEN 1 AND 399) AS p99_ms,
    max(ts)                                                                     AS last_event_at
FROM requests
GROUP BY endpoint
ORDER BY max(CASE WHEN variant = 'canary' THEN 1 ELSE 0 END), endpoint;
