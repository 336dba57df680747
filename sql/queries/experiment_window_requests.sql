-- The requests of one experiment in its evaluation window (from the current stage's start to $as_of), each put on a
-- side: the event's variant when it has one, else the configured endpoint names. side is NULL when neither decides.
-- The token and cost columns feed the cost guardrail (priced in C# with the price book, like view requests_costed);
-- model stratifies latency and errors, ttft_ms and completion_tokens feed ttft_p50/p95 and latency_per_output_token.
SELECT
    CASE
        WHEN variant IS NOT NULL THEN variant
        WHEN endpoint = $baseline_endpoint THEN 'baseline'
        WHEN endpoint = $canary_endpoint THEN 'canary'
    END AS side,
    endpoint,
    latency_ms,
    error_class,
    model,
    prompt_tokens,
    completion_tokens,
    total_tokens,
    cost_usd,
    status_code,
    retry_after_ms,
    ttft_ms
FROM requests_classified
WHERE experiment_id = $experiment
  AND ts >= $window_from AND ts <= $as_of;
