-- Report: the empirical CDF of latency per side (every request, as the latency guardrails use them), on log-spaced bins
-- (40 per factor e): at each bin's largest latency, the exact share of the side's requests at or below it.
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
), binned AS (
    SELECT side, round(ln(greatest(latency_ms, 0.001)) * 40) AS bin, max(latency_ms) AS latency_ms, count(*) AS n
    FROM sided
    WHERE side IN ('baseline', 'canary')
    GROUP BY side, bin
)
SELECT side, latency_ms, sum(n) OVER (PARTITION BY side ORDER BY bin) / sum(n) OVER (PARTITION BY side) AS cumulative_share
FROM binned
ORDER BY side, latency_ms;
