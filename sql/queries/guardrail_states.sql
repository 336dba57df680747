-- The per-guardrail running minimum p-values of an experiment's stage as of $as_of: the state written with the latest
-- verdict of that stage at or before $as_of, and when go was first reached in the stage (null if never).
WITH latest AS (
    SELECT max(evaluated_at) AS evaluated_at FROM guardrail_states
    WHERE experiment = $experiment AND stage_started_at = $stage_started_at AND evaluated_at <= $as_of)
SELECT s.metric, s.fail_p_value, s.pass_p_value, s.has_failed
FROM guardrail_states s JOIN latest l ON s.evaluated_at = l.evaluated_at
WHERE s.experiment = $experiment AND s.stage_started_at = $stage_started_at
ORDER BY s.metric;
