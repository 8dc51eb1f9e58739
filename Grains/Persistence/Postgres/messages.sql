-- Messages for the PostgreSQL store (cluster mode). Applied at every start, under an advisory lock; idempotent.
-- The indexed text columns compare bytewise (COLLATE "C"): queries only test them for equality, which a locale's
-- collation answers the same way, at the cost of a strcoll per comparison in every index descent. Tables made by
-- older builds keep their database's collation; both work.
CREATE TABLE IF NOT EXISTS messages (
    timeline      text     COLLATE "C" NOT NULL,  -- user:ID or group:ID
    seq           bigint   NOT NULL,  -- from 1, strictly increasing per timeline
    msg_id        text     NOT NULL,
    from_user     text     COLLATE "C" NOT NULL,
    to_timeline   text     NOT NULL,
    client_msg_id text     COLLATE "C" NOT NULL,  -- empty for system messages
    kind          smallint NOT NULL,  -- MessageKind: 0 user, 1 system (no CHECK, so a newer kind needs no migration)
    -- text, not jsonb: the body comes back byte for byte as it was pushed (jsonb reorders keys and
    -- rewrites spacing), jsonb would refuse a valid "\u0000" and stall the persist stream on it, and
    -- nothing queries inside bodies. The gateway has already checked it is one JSON object.
    body          text     NOT NULL,
    ts            bigint   NOT NULL,  -- Unix milliseconds
    PRIMARY KEY (timeline, seq)
);

-- Every query reads by the primary key. Files made by older builds still have this index, which
-- no query uses (grains de-duplicate sends in memory) and every insert paid for.
DROP INDEX IF EXISTS messages_by_client_msg_id;

-- A client's message is stored once per timeline even when two activations of the timeline's grain both published
-- it: a silo declared dead that runs again (frozen, or cut off, then back) serves the calls already queued to it
-- until it learns it is dead, and Orleans does not fence its old activations, while the resend went to the grain's
-- new activation. (The Redis log refuses the appends of a silo the membership declared dead, Streams/Redis/WriterFence,
-- which closes this once the table says so, not before.) The inserts skip the later copy (ON CONFLICT DO NOTHING): the first in
-- the log wins.
-- It can drop the ACKED copy: whenever a copy that was not acked got into the log before the acked one. That happens
-- when the old activation published before the new one did (its caller had already given up on it), and when a
-- publish whose reply was lost stored a copy that the reloaded timeline did not find (its read barrier passed before
-- that copy was stored; the Redis log's receivers did so by stranding the entries of a read whose reply a Redis
-- restart lost, now fixed). The message is then stored once, but under the other copy's seq and msg_id, not the ones
-- its sender was acked with. Kept because without it the recipient gets the message twice; what would rule out both
-- is an idempotent append (one that finds the client's message already published returns that one instead).
CREATE UNIQUE INDEX IF NOT EXISTS messages_client_msg_id_once ON messages (timeline, from_user, client_msg_id) WHERE kind = 0;
