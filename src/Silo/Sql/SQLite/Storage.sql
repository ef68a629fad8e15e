-- AgentSnapshots grain storage on SQLite, for the Orleans ADO.NET storage provider (invariant "System.Data.SQLite").
-- Written for this project from the provider's parameter/result contract. The silo applies this file at start;
-- every statement is idempotent, so applying it again changes nothing (query texts are refreshed in place).
--
-- Contract, as the provider uses it:
--   parameters  GrainIdHash, GrainTypeHash (int), GrainIdN0, GrainIdN1 (long), GrainTypeString,
--               GrainIdExtensionString (text or NULL), ServiceId, GrainStateVersion (int or NULL), PayloadBinary (blob)
--   read        returns PayloadBinary, Version (no row: the state was never written)
--   write       returns NewGrainStateVersion; no row means a version conflict
--   clear       returns the new version; no row means a version conflict
--   delete      returns the deleted version + 1; no row means a version conflict

CREATE TABLE IF NOT EXISTS OrleansQuery
(
    QueryKey  TEXT NOT NULL PRIMARY KEY,
    QueryText TEXT NOT NULL
);

-- One row per grain state. A missing key extension is stored as '' so that no part of the key is NULL
-- (SQLite treats NULLs as distinct in keys). The hashes lead the key so lookups narrow quickly.
CREATE TABLE IF NOT EXISTS OrleansGrainState
(
    ServiceId              TEXT    NOT NULL,
    GrainTypeHash          INTEGER NOT NULL,
    GrainIdHash            INTEGER NOT NULL,
    GrainTypeString        TEXT    NOT NULL,
    GrainIdN0              INTEGER NOT NULL,
    GrainIdN1              INTEGER NOT NULL,
    GrainIdExtensionString TEXT    NOT NULL DEFAULT '',
    PayloadBinary          BLOB    NULL,
    Version                INTEGER NOT NULL,
    ModifiedOnUtc          TEXT    NOT NULL,
    PRIMARY KEY (ServiceId, GrainTypeHash, GrainIdHash, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString)
) WITHOUT ROWID;

INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ReadFromStorageKey', '
SELECT PayloadBinary, Version
FROM OrleansGrainState
WHERE ServiceId = @ServiceId
  AND GrainTypeHash = @GrainTypeHash AND GrainIdHash = @GrainIdHash
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''');
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Every statement that writes starts with PRAGMA synchronous = NORMAL (a setting of the connection, which the
-- provider opens itself): in WAL mode a commit then appends to the log without an fsync, and a checkpoint syncs.
-- Checkpoints (which fsync) are the silo's SqliteCheckpoints' work, beside the writer, as soon as the log grew: a
-- writer checkpoints itself only when the log passes 1,000 pages, which that keeps rare. (A PRAGMA that returns a
-- row, as wal_autocheckpoint does, cannot go here: the provider reads the first result as the statement's.)
-- A killed silo loses nothing (the log is in the OS's cache); a power cut may lose the last commits, as it may
-- the object files, which are not synced either. With FULL every commit waited for an fsync (4 ms on the
-- benchmark machine), one writer at a time: the load run could not go past about 50 tracks a second.
--
-- Optimistic concurrency: an existing row is updated only from the version the grain read; a new row is
-- inserted only when the grain read no version. One statement, so one write transaction per write: a row that
-- is there goes to the update (when the versions match), a missing one is inserted only without a version
-- (the EXISTS keeps a write from a version whose row is gone from inserting one). No row returned: conflict.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('WriteToStorageKey', '
PRAGMA synchronous = NORMAL;
INSERT INTO OrleansGrainState
    (ServiceId, GrainTypeHash, GrainIdHash, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString,
     PayloadBinary, Version, ModifiedOnUtc)
SELECT @ServiceId, @GrainTypeHash, @GrainIdHash, @GrainTypeString, @GrainIdN0, @GrainIdN1, IFNULL(@GrainIdExtensionString, ''''),
       @PayloadBinary, 1, strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE @GrainStateVersion IS NULL
   OR EXISTS (SELECT 1 FROM OrleansGrainState
              WHERE ServiceId = @ServiceId
                AND GrainTypeHash = @GrainTypeHash AND GrainIdHash = @GrainIdHash
                AND GrainTypeString = @GrainTypeString
                AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
                AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, ''''))
ON CONFLICT (ServiceId, GrainTypeHash, GrainIdHash, GrainTypeString, GrainIdN0, GrainIdN1, GrainIdExtensionString) DO UPDATE
SET PayloadBinary = excluded.PayloadBinary,
    Version = Version + 1,
    ModifiedOnUtc = excluded.ModifiedOnUtc
WHERE @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
RETURNING Version AS NewGrainStateVersion;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Clear keeps the row (and its version line) but drops the payload.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('ClearStorageKey', '
PRAGMA synchronous = NORMAL;
UPDATE OrleansGrainState
SET PayloadBinary = NULL,
    Version = Version + 1,
    ModifiedOnUtc = strftime(''%Y-%m-%dT%H:%M:%fZ'', ''now'')
WHERE ServiceId = @ServiceId
  AND GrainTypeHash = @GrainTypeHash AND GrainIdHash = @GrainIdHash
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''')
  AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
RETURNING Version;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Used instead of ClearStorageKey when the provider is configured with DeleteStateOnClear.
INSERT INTO OrleansQuery (QueryKey, QueryText) VALUES ('DeleteStorageKey', '
PRAGMA synchronous = NORMAL;
DELETE FROM OrleansGrainState
WHERE ServiceId = @ServiceId
  AND GrainTypeHash = @GrainTypeHash AND GrainIdHash = @GrainIdHash
  AND GrainTypeString = @GrainTypeString
  AND GrainIdN0 = @GrainIdN0 AND GrainIdN1 = @GrainIdN1
  AND GrainIdExtensionString = IFNULL(@GrainIdExtensionString, '''')
  AND @GrainStateVersion IS NOT NULL AND Version = @GrainStateVersion
RETURNING Version + 1;
')
ON CONFLICT (QueryKey) DO UPDATE SET QueryText = excluded.QueryText;

-- Sessions' histories and workspaces' catalogues as rows of their own (written by the silo's SnapshotRows, not by
-- the grain storage above): a track writes one history row, one catalogue row and, when they changed, the
-- session's and the workspace's rows, in one transaction. The same tables as Sql/PostgreSQL/0003-snapshot-rows.sql
-- (see there for what each column holds). Sessions and workspaces an earlier version stored as pages in
-- OrleansGrainState are migrated to these rows when each is first activated.
CREATE TABLE IF NOT EXISTS snapshots_session
(
    service_id   TEXT    NOT NULL,
    session_id   TEXT    NOT NULL,
    workspace_id TEXT    NULL,
    directory    TEXT    NULL,
    synced_epoch INTEGER NOT NULL,
    PRIMARY KEY (service_id, session_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS snapshots_history
(
    service_id   TEXT    NOT NULL,
    session_id   TEXT    NOT NULL,
    seq          INTEGER NOT NULL,
    hash         TEXT    NOT NULL,
    label        TEXT    NULL,
    taken_ms     INTEGER NOT NULL,
    files        INTEGER NOT NULL,
    skipped      INTEGER NOT NULL,
    pending_from TEXT    NULL,
    changed      INTEGER NULL,
    additions    INTEGER NULL,
    deletions    INTEGER NULL,
    exact_step   INTEGER NULL,
    PRIMARY KEY (service_id, session_id, seq)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS snapshots_workspace
(
    service_id    TEXT    NOT NULL,
    workspace_id  TEXT    NOT NULL,
    directory     TEXT    NULL,
    sessions      TEXT    NOT NULL,
    collected_seq INTEGER NOT NULL,
    drop_epoch    INTEGER NOT NULL,
    drops         TEXT    NOT NULL,
    PRIMARY KEY (service_id, workspace_id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS snapshots_catalogue
(
    service_id   TEXT    NOT NULL,
    workspace_id TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    recorded_seq INTEGER NOT NULL,
    taken_ms     INTEGER NOT NULL,
    safety       INTEGER NOT NULL,
    owners       TEXT    NOT NULL,
    PRIMARY KEY (service_id, workspace_id, hash)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS snapshots_catalogue_order ON snapshots_catalogue (service_id, workspace_id, recorded_seq);
