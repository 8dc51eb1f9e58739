-- Grain state for the PostgreSQL provider. Applied at every start, under an advisory lock; idempotent.
CREATE TABLE IF NOT EXISTS grain_state (
    grain_type  text        NOT NULL,
    grain_key   text        NOT NULL,
    state_name  text        NOT NULL,
    payload     jsonb       NULL,      -- NULL once cleared (the row stays so the version keeps rising)
    version     bigint      NOT NULL,  -- the etag
    modified_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (grain_type, grain_key, state_name)
);
