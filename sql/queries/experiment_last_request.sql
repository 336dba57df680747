-- The time of an experiment's latest request event at or before $as_of (events without one belong to 'default'):
-- where `loganalytics plan` measures the traffic up to.
SELECT max(ts) AS last_request
FROM requests
WHERE coalesce(experiment, 'default') = $experiment
  AND ts <= $as_of;
