-- Grain state for the SQLite provider (the embedded default). Applied at every start; idempotent.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grain_state (
    grain_type  TEXT    NOT NULL,
    grain_key   TEXT    NOT NULL,
    state_name  TEXT    NOT NULL,
    payload     TEXT    NULL,      -- JSON; NULL once cleared (the row stays so the version keeps rising)
    version     INTEGER NOT NULL,  -- the etag
    modified_at INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (grain_type, grain_key, state_name)
) WITHOUT ROWID;
