-- The latest decision for an experiment at or before $as_of, with when that decision was first reached in the same
-- stage and its first reason (the policy's memory: a no_go holds for the stage).
WITH latest AS (
    SELECT decision, stage_started_at FROM verdicts
    WHERE experiment = $experiment AND evaluated_at <= $as_of
    ORDER BY evaluated_at DESC LIMIT 1)
SELECT v.decision, v.stage_started_at, v.evaluated_at, json_extract_string(v.verdict, '$.reasons[0]') AS first_reason
FROM verdicts v JOIN latest l ON v.decision = l.decision AND v.stage_started_at = l.stage_started_at
WHERE v.experiment = $experiment AND v.evaluated_at <= $as_of
ORDER BY v.evaluated_at ASC
LIMIT 1;
