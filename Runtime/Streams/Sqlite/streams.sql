-- Streams for the SQLite provider (the durable embedded one). Applied at every start; idempotent.
-- One process writes a database file at a time: it assigns the offsets.
PRAGMA journal_mode = WAL;

-- The log: every partition of every namespace, offsets 1, 2, 3… per (namespace, partition_no).
CREATE TABLE IF NOT EXISTS stream_events (
    namespace    TEXT    NOT NULL,
    partition_no INTEGER NOT NULL,
    event_offset INTEGER NOT NULL,
    stream_key   TEXT    NOT NULL,
    payload      BLOB    NOT NULL,  -- UTF-8 JSON as published
    appended_at  INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (namespace, partition_no, event_offset)
) WITHOUT ROWID;

-- The last offset each handler group acknowledged in each partition.
CREATE TABLE IF NOT EXISTS stream_checkpoints (
    handler_group TEXT    NOT NULL,
    namespace     TEXT    NOT NULL,
    partition_no  INTEGER NOT NULL,
    position      INTEGER NOT NULL,
    PRIMARY KEY (handler_group, namespace, partition_no)
) WITHOUT ROWID;

-- Settings fixed when the database was created: stream ids hash to partitions, so the partition
-- count of a database can never change.
CREATE TABLE IF NOT EXISTS stream_settings (
    name  TEXT    NOT NULL PRIMARY KEY,
    value INTEGER NOT NULL
) WITHOUT ROWID;
