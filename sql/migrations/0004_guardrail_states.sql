-- 0004: what the verdict engine remembers per stage and guardrail between looks (issue 10, defect 3), written with
-- every verdict so it survives restarts. A running minimum of an always-valid p-value is itself always valid: evidence
-- seen at one look is never forgotten at the next. metric 'srm' holds the sequential SRM test's running minimum.
CREATE TABLE guardrail_states (
    experiment       VARCHAR     NOT NULL,
    stage_started_at TIMESTAMPTZ NOT NULL,
    metric           VARCHAR     NOT NULL,  -- a guardrail's metric, or 'srm'
    evaluated_at     TIMESTAMPTZ NOT NULL,  -- the verdict this state was written with
    fail_p_value     DOUBLE      NOT NULL,  -- running minimum of the p-value of "worse than the margin" (before Holm)
    pass_p_value     DOUBLE      NOT NULL,  -- running minimum of the p-value of "within the margin"
    has_failed       BOOLEAN     NOT NULL   -- the guardrail failed (or the split broke) at some look of the stage
);
