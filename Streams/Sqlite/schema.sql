-- The SQLite message log. Applied whenever a silo opens the file; idempotent.
PRAGMA journal_mode = WAL;

-- The records: offsets 1, 2, 3... per queue, assigned by the appending transaction (max + 1), never reused.
CREATE TABLE IF NOT EXISTS log_records (
    queue_no         INTEGER NOT NULL,
    record_offset    INTEGER NOT NULL,
    stream_namespace BLOB    NOT NULL,  -- StreamId.Namespace (UTF-8)
    stream_key       BLOB    NOT NULL,  -- StreamId.Key
    payload          BLOB    NOT NULL,  -- the events and request context, Orleans-serialized
    appended_at      INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (queue_no, record_offset)
) WITHOUT ROWID;

-- The highest offset each reader provider has checkpointed per queue: all at or below were delivered.
CREATE TABLE IF NOT EXISTS log_checkpoints (
    reader        TEXT    NOT NULL,
    queue_no      INTEGER NOT NULL,
    record_offset INTEGER NOT NULL,
    PRIMARY KEY (reader, queue_no)
) WITHOUT ROWID;

-- Records a reader could not decode; it skipped them and went on.
CREATE TABLE IF NOT EXISTS log_dead_letters (
    reader           TEXT    NOT NULL,
    queue_no         INTEGER NOT NULL,
    record_offset    INTEGER NOT NULL,
    stream_namespace BLOB    NOT NULL,
    stream_key       BLOB    NOT NULL,
    payload          BLOB    NOT NULL,
    error            TEXT    NOT NULL,
    dead_at          INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (reader, queue_no, record_offset)
) WITHOUT ROWID;

-- Settings fixed when the file was created (the queue count).
CREATE TABLE IF NOT EXISTS log_settings (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
