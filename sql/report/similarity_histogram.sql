-- Report: the canary's shadow-validation similarity scores (0..1) in 20 bins of 0.05 (bin_start; 1.0 falls in the
-- last bin). Events naming the baseline endpoint as the one compared are left out.
SELECT least(floor(similarity * 20), 19) / 20 AS bin_start, count(*) AS events
FROM validations
WHERE coalesce(experiment, 'default') = $experiment AND ts >= $from AND ts <= $to
  AND (endpoint IS NULL OR $baseline_endpoint IS NULL OR endpoint <> $baseline_endpoint)
  AND similarity IS NOT NULL AND isfinite(similarity)
GROUP BY bin_start
ORDER BY bin_start;
