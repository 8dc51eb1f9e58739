-- Grain state for Orleans' ADO.NET storage provider on PostgreSQL (invariant "Npgsql"), written for
-- ChatCluster against the provider's contract (docs: ARCHITECTURE.md, "Orleans ADO.NET grain storage").
--
-- Applied at every silo start by PostgresStorageInstaller, in one transaction that first takes
-- pg_advisory_xact_lock, so silos starting together apply it one after another. Idempotent: tables
-- are created if missing, and the three OrleansQuery rows are upserted (exactly one row per key).
--
-- The provider passes the *state name* as @GrainTypeString, the grain key as @GrainIdN0/@GrainIdN1
-- (integer and GUID keys) and @GrainIdExtensionString (string keys, key extensions), and the etag as
-- @GrainStateVersion (an integer, NULL when the grain holds no etag). @GrainTypeHash is not needed here.

CREATE TABLE IF NOT EXISTS chatcluster_grain_state (
    service_id    text        NOT NULL,
    state_name    text        NOT NULL,           -- @GrainTypeString
    grain_id_hash integer     NOT NULL,           -- tells a string key 'k' from an integer key 0 with extension 'k'
    grain_id_n0   bigint      NOT NULL,
    grain_id_n1   bigint      NOT NULL,
    grain_id_ext  text        NOT NULL,           -- '' when @GrainIdExtensionString is NULL
    payload       bytea       NULL,               -- NULL once cleared: the row stays, so the version keeps rising
    version       integer     NOT NULL,           -- the etag
    modified_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (service_id, state_name, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_ext)
);

-- Shared with Orleans' other ADO.NET components; its layout is the one they expect.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  varchar(64) NOT NULL PRIMARY KEY,
    QueryText text        NOT NULL
);

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES

-- Read: at most one row, columns by name. A NULL payload reads as "no record" with the row's etag.
('ReadFromStorageKey', $query$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM chatcluster_grain_state
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
$query$),

-- Write: insert when the grain holds no etag and no row exists; otherwise update only the row whose
-- version equals the grain's etag. Returns the new version, or no row at all on a conflict (the
-- provider then throws InconsistentStateException). A concurrent update of the same row waits for
-- the first and then no longer matches its version.
('WriteToStorageKey', $query$
WITH updated AS (
    UPDATE chatcluster_grain_state
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE service_id = @ServiceId
      AND state_name = @GrainTypeString
      AND grain_id_hash = @GrainIdHash
      AND grain_id_n0 = @GrainIdN0
      AND grain_id_n1 = @GrainIdN1
      AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
      AND version = @GrainStateVersion
    RETURNING version
), inserted AS (
    INSERT INTO chatcluster_grain_state
        (service_id, state_name, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_ext, payload, version)
    SELECT @ServiceId, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1,
           COALESCE(@GrainIdExtensionString, ''), @PayloadBinary, 1
    WHERE @GrainStateVersion IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version
)
SELECT version AS "NewGrainStateVersion" FROM updated
UNION ALL
SELECT version FROM inserted
$query$),

-- Clear: like an update, with the payload set to NULL; returns the new version in the first column
-- of the first row, or no row on a conflict (the provider reads only existing records to clear).
('ClearStorageKey', $query$
UPDATE chatcluster_grain_state
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = COALESCE(@GrainIdExtensionString, '')
  AND version = @GrainStateVersion
RETURNING version
$query$)

ON CONFLICT (QueryKey) DO UPDATE SET QueryText = EXCLUDED.QueryText
WHERE OrleansQuery.QueryText IS DISTINCT FROM EXCLUDED.QueryText;
