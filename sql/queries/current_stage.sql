-- The latest stage announcement for an experiment at or before $as_of, and when it started.
SELECT weight_percent, ts AS started_at
FROM stages
WHERE coalesce(experiment, 'default') = $experiment AND ts <= $as_of
ORDER BY ts DESC, source_offset DESC
LIMIT 1;
