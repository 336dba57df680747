-- Analysts: how each experiment's decision evolved.
SELECT experiment, evaluated_at, decision, current_stage, next_stage,
       json_extract_string(verdict, '$.reasons[0]') AS first_reason
FROM verdicts
ORDER BY experiment, evaluated_at;
