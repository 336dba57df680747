-- 0002: one shared definition of "error" (analysts and the verdict engine use the same view), and the verdict log.

-- error_class: NULL for a success, else
--   timeout_transport  status 0 / 499 / 504, or error_type timeout / transport / stream_cut / connection
--   rate_limit         429
--   auth               401 / 403            (a burst on the canary is a configuration mistake: API key)
--   bad_request        400 / 404            (model not found, bad request: check the model alias)
--   client_other       other 4xx
--   server             5xx other than 504
--   other              a 2xx/3xx the router still logged an error for
CREATE VIEW requests_classified AS
SELECT
    r.*,
    coalesce(r.experiment, 'default') AS experiment_id,
    CASE
        WHEN r.status_code IN (0, 499, 504)
          OR lower(coalesce(r.error_type, '')) IN ('timeout', 'transport', 'stream_cut', 'connection', 'connect_timeout', 'read_timeout')
            THEN 'timeout_transport'
        WHEN r.status_code = 429 THEN 'rate_limit'
        WHEN r.status_code IN (401, 403) THEN 'auth'
        WHEN r.status_code IN (400, 404) THEN 'bad_request'
        WHEN r.status_code BETWEEN 400 AND 499 THEN 'client_other'
        WHEN r.status_code BETWEEN 500 AND 599 THEN 'server'
        WHEN r.error IS NOT NULL OR (r.error_type IS NOT NULL AND lower(r.error_type) NOT IN ('', 'none', 'null')) THEN 'other'
    END AS error_class
FROM requests r;

-- Every verdict the worker computed (also published to Kafka:VerdictTopic keyed by experiment).
CREATE TABLE verdicts (
    experiment     VARCHAR     NOT NULL,
    evaluated_at   TIMESTAMPTZ NOT NULL,
    decision       VARCHAR     NOT NULL,  -- go | no_go | wait
    current_stage  DOUBLE,
    next_stage     DOUBLE,
    stage_started_at TIMESTAMPTZ,
    verdict        JSON        NOT NULL   -- the whole loganalytics.verdict/v1 document
);
