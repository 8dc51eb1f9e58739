-- Grain state for Orleans' ADO.NET storage provider on SQLite (invariant "System.Data.SQLite", which the
-- provider opens with Microsoft.Data.Sqlite), kept by the grain-storage bench only: Orleans ships no SQLite
-- scripts. Applied by AdoNetSqliteScript before the silo starts; idempotent.
--
-- WAL is a property of the file, so every connection the provider opens uses it; they keep SQLite's
-- default synchronous setting (the provider sets none).
--
-- The provider passes the state name as @GrainTypeString, the grain key as @GrainIdN0/@GrainIdN1 and
-- @GrainIdExtensionString (NULL for integer and GUID keys), and the etag as @GrainStateVersion (NULL when
-- the grain holds none). @GrainTypeHash is not needed here.

PRAGMA journal_mode = WAL;

CREATE TABLE IF NOT EXISTS grain_state (
    service_id    TEXT    NOT NULL,
    state_name    TEXT    NOT NULL,   -- @GrainTypeString
    grain_id_hash INTEGER NOT NULL,
    grain_id_n0   INTEGER NOT NULL,
    grain_id_n1   INTEGER NOT NULL,
    grain_id_ext  TEXT    NOT NULL,   -- '' when @GrainIdExtensionString is NULL
    payload       BLOB    NULL,       -- NULL once cleared: the row stays, so the version keeps rising
    version       INTEGER NOT NULL,   -- the etag
    PRIMARY KEY (service_id, state_name, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_ext)
) WITHOUT ROWID;

-- The provider reads its queries from here, by key.
CREATE TABLE IF NOT EXISTS OrleansQuery (
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- Read: at most one row, columns by name.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT payload AS PayloadBinary, version AS Version
FROM grain_state
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = IFNULL(@GrainIdExtensionString, '''')
 ');

-- Write: two statements, of which at most one returns a row with the new version. The insert applies when the
-- grain holds no etag and no row exists; the update when the row's version equals the grain's etag. No row
-- at all is a conflict (the provider then throws InconsistentStateException).
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
INSERT INTO grain_state (service_id, state_name, grain_id_hash, grain_id_n0, grain_id_n1, grain_id_ext, payload, version)
SELECT @ServiceId, @GrainTypeString, @GrainIdHash, @GrainIdN0, @GrainIdN1, IFNULL(@GrainIdExtensionString, ''''), @PayloadBinary, 1
WHERE @GrainStateVersion IS NULL
ON CONFLICT DO NOTHING
RETURNING version AS NewGrainStateVersion;
UPDATE grain_state
SET payload = @PayloadBinary, version = version + 1
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = IFNULL(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
RETURNING version AS NewGrainStateVersion');

-- Clear: like an update, with the payload set to NULL; returns the new version, or no row on a conflict.
INSERT OR REPLACE INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
UPDATE grain_state
SET payload = NULL, version = version + 1
WHERE service_id = @ServiceId
  AND state_name = @GrainTypeString
  AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0
  AND grain_id_n1 = @GrainIdN1
  AND grain_id_ext = IFNULL(@GrainIdExtensionString, '''')
  AND version = @GrainStateVersion
 
RETURNING version');
