-- Report: the decisions the worker stored for one experiment between $from and $to, oldest first, with the stage
-- they judged and the first reason.
SELECT evaluated_at, decision, current_stage, json_extract_string(verdict, '$.reasons[0]') AS first_reason
FROM verdicts
WHERE experiment = $experiment AND evaluated_at >= $from AND evaluated_at <= $to
ORDER BY evaluated_at;
