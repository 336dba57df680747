-- 0003: the upstream's Retry-After on requests; the price book as tables (rewritten from pricing.json by the worker
-- and by replay), a macro that spells model names like PriceBook.CanonicalModel, and the view that prices every
-- request the way the verdict engine does.
-- A later migration that changes requests_classified must recreate requests_costed too (views keep their columns).

-- A 429's Retry-After in milliseconds, when the router logs it (retry_after_ms, or retry_after / retry_after_s in s).
ALTER TABLE requests ADD COLUMN retry_after_ms DOUBLE;

-- requests_classified as in 0002, recreated so that it carries the new column.
CREATE OR REPLACE VIEW requests_classified AS
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

-- USD per million tokens, exchange rate and markup already applied. endpoint '*' holds the list prices.
CREATE TABLE prices (
    endpoint               VARCHAR     NOT NULL,
    model                  VARCHAR     NOT NULL,  -- canonical model name
    input_usd_per_million  DOUBLE      NOT NULL,
    output_usd_per_million DOUBLE      NOT NULL,
    currency               VARCHAR     NOT NULL,  -- the currency the price book states it in
    exchange_rate          DOUBLE      NOT NULL,  -- units of that currency per 1 USD
    markup                 DOUBLE      NOT NULL,  -- fraction, 0.05 = +5 %
    price_book             VARCHAR     NOT NULL,  -- the file it came from
    loaded_at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (endpoint, model)
);

-- alias (canonical form) -> model; endpoint markups applied to the '*' list prices an endpoint falls back to.
CREATE TABLE model_aliases (alias VARCHAR PRIMARY KEY, model VARCHAR NOT NULL);
CREATE TABLE endpoint_markups (endpoint VARCHAR PRIMARY KEY, markup DOUBLE NOT NULL);

-- 'OpenAI/GPT-4.1-2025-04-14' -> 'gpt-4.1': lower case, no vendor prefix, no trailing snapshot date.
CREATE MACRO canonical_model(m) AS
    regexp_replace(regexp_replace(lower(trim(m)), '^.*/', ''), '[-@]([0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{8})$', '');

-- Every request with its cost and where the cost came from (cost_source):
--   event       the event's cost_usd
--   price_book  input tokens x input price + output tokens x output price (a missing side derived from total_tokens)
--   not_billed  a failed request (status 0 or >= 400) that reported no usage: 0
--   no_price    unpriced: the model has no price for the endpoint (add it to pricing.json)
--   no_tokens   unpriced: no token counts and no cost_usd
--   no_model    unpriced: no model name
-- request_cost_usd is NULL when unpriced: sum() and avg() skip those rows instead of counting them as $0.
CREATE VIEW requests_costed AS
WITH named AS (
    SELECT
        rc.*,
        coalesce(a.model, canonical_model(rc.model)) AS model_key,
        coalesce(rc.prompt_tokens, rc.total_tokens - rc.completion_tokens) AS input_tokens,
        coalesce(rc.completion_tokens, rc.total_tokens - rc.prompt_tokens) AS output_tokens
    FROM requests_classified rc
    LEFT JOIN model_aliases a ON a.alias = canonical_model(rc.model)
), priced AS (
    SELECT
        n.*,
        coalesce(own.input_usd_per_million,
                 list.input_usd_per_million * (1 + coalesce(m.markup, list.markup)) / (1 + list.markup)) AS input_usd_per_million,
        coalesce(own.output_usd_per_million,
                 list.output_usd_per_million * (1 + coalesce(m.markup, list.markup)) / (1 + list.markup)) AS output_usd_per_million
    FROM named n
    LEFT JOIN prices own ON own.endpoint = n.endpoint AND own.model = n.model_key
    LEFT JOIN prices list ON list.endpoint = '*' AND list.model = n.model_key
    LEFT JOIN endpoint_markups m ON m.endpoint = n.endpoint
)
SELECT
    p.*,
    CASE
        WHEN p.cost_usd IS NOT NULL AND isfinite(p.cost_usd) AND p.cost_usd >= 0 THEN 'event'
        WHEN (p.status_code = 0 OR p.status_code >= 400)
             AND p.prompt_tokens IS NULL AND p.completion_tokens IS NULL AND p.total_tokens IS NULL THEN 'not_billed'
        WHEN p.model IS NULL OR trim(p.model) = '' THEN 'no_model'
        WHEN p.input_usd_per_million IS NULL THEN 'no_price'
        WHEN p.input_tokens >= 0 AND p.output_tokens >= 0 THEN 'price_book'
        WHEN p.total_tokens >= 0 AND p.input_usd_per_million = p.output_usd_per_million THEN 'price_book'
        ELSE 'no_tokens'
    END AS cost_source,
    CASE
        WHEN cost_source = 'event' THEN p.cost_usd
        WHEN cost_source = 'not_billed' THEN 0.0
        WHEN cost_source = 'price_book' AND p.input_tokens >= 0 AND p.output_tokens >= 0
            THEN (p.input_tokens * p.input_usd_per_million + p.output_tokens * p.output_usd_per_million) / 1e6
        WHEN cost_source = 'price_book' THEN p.total_tokens * p.input_usd_per_million / 1e6
    END AS request_cost_usd
FROM priced p;
