-- Grain state for the embedded SQLite storage (SqliteGrainStorage). Applied at every start; idempotent.
-- WAL: reads run beside the single writer; journal_mode is kept in the file.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grain_state (
    grain_type  TEXT    NOT NULL,  -- GrainId.Type
    grain_key   TEXT    NOT NULL,  -- GrainId.Key
    state_name  TEXT    NOT NULL,
    payload     BLOB    NULL,      -- IGrainStorageSerializer output; NULL once cleared (the row stays so the version keeps rising)
    version     INTEGER NOT NULL,  -- the etag
    modified_at INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (grain_type, grain_key, state_name)
) WITHOUT ROWID;
