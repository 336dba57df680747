-- Experiments that have request events at or before $as_of (events without one belong to 'default').
SELECT DISTINCT coalesce(experiment, 'default') AS experiment_id
FROM requests
WHERE ts <= $as_of
ORDER BY 1;
