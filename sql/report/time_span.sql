-- Report: the first and last request and validation of one experiment between $from and $to (to choose bucket widths).
SELECT least(min(r.first_at), min(v.first_at)) AS first_at, greatest(max(r.last_at), max(v.last_at)) AS last_at
FROM (SELECT min(ts) AS first_at, max(ts) AS last_at FROM requests
      WHERE coalesce(experiment, 'default') = $experiment AND ts >= $from AND ts <= $to) r,
     (SELECT min(ts) AS first_at, max(ts) AS last_at FROM validations
      WHERE coalesce(experiment, 'default') = $experiment AND ts >= $from AND ts <= $to) v;
