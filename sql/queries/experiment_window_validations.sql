-- The shadow-validation results of one experiment's canary in its evaluation window: validation events of the
-- experiment, except those that name the baseline endpoint as the one compared.
SELECT content_match, finish_reason_match, tokens_match, model_field_match, similarity
FROM validations
WHERE coalesce(experiment, 'default') = $experiment
  AND ts >= $window_from AND ts <= $as_of
  AND (endpoint IS NULL OR $baseline_endpoint IS NULL OR endpoint <> $baseline_endpoint);
