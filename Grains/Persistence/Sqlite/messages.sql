-- Messages for the SQLite store (the embedded default). Applied at every start; idempotent.
-- WAL: readers run beside the single writer and a commit is one append to the log.
PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS messages (
    timeline      TEXT    NOT NULL,  -- user:ID or group:ID
    seq           INTEGER NOT NULL,  -- from 1, strictly increasing per timeline
    msg_id        TEXT    NOT NULL,
    from_user     TEXT    NOT NULL,
    to_timeline   TEXT    NOT NULL,
    client_msg_id TEXT    NOT NULL,  -- empty for system messages
    kind          INTEGER NOT NULL,  -- MessageKind: 0 user, 1 system (no CHECK, so a newer kind needs no migration)
    body          TEXT    NOT NULL,  -- the JSON object exactly as received
    ts            INTEGER NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (timeline, seq)
) WITHOUT ROWID;

-- Every query reads by the primary key. Files made by older builds still have this index, which
-- no query uses (grains de-duplicate sends in memory) and every insert paid for.
DROP INDEX IF EXISTS messages_by_client_msg_id;
