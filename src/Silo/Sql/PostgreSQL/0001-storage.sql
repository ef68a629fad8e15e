-- AgentSnapshots schema for PostgreSQL, version 1: grain storage for the Orleans ADO.NET
-- persistence provider (invariant "Npgsql").
--
-- Written for this project. Safe to run more than once: every object is created only when absent,
-- functions are replaced, and the provider queries are upserted. AgentSnapshots applies these files
-- at start (in file-name order, each once, recorded in agentsnapshots_schema_version); a DBA who
-- migrates by hand runs them with psql in the same order, e.g.
--   psql "$CONN" -v ON_ERROR_STOP=1 -f 0001-storage.sql -f 0002-clustering.sql
--
-- Identifiers are unquoted (lower case) on purpose: the providers query "OrleansQuery",
-- "QueryKey", "QueryText" unquoted, which PostgreSQL folds to lower case.

CREATE TABLE IF NOT EXISTS agentsnapshots_schema_version
(
    version    integer      NOT NULL PRIMARY KEY,
    name       varchar(200) NOT NULL,
    applied_at timestamptz  NOT NULL DEFAULT now()
);

-- The provider reads its SQL from here: SELECT QueryKey, QueryText FROM OrleansQuery.
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) NOT NULL PRIMARY KEY,
    querytext text        NOT NULL
);

-- One row per grain state. A grain is identified by the provider's key columns; the hashes come first
-- so the unique index doubles as the lookup index. A missing key extension and an empty one are the
-- same key (the index and every query compare coalesce(extension, '')).
CREATE TABLE IF NOT EXISTS agentsnapshots_grainstate
(
    grainidhash            integer      NOT NULL,
    graintypehash          integer      NOT NULL,
    serviceid              varchar(150) NOT NULL,
    grainidn0              bigint       NOT NULL,
    grainidn1              bigint       NOT NULL,
    graintypestring        varchar(512) NOT NULL,
    grainidextensionstring varchar(512) NULL,
    payloadbinary          bytea        NULL,     -- NULL after ClearState (row kept, version bumped)
    version                integer      NOT NULL, -- the ETag: 1 on first write, +1 on every write/clear
    modifiedon             timestamptz  NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX IF NOT EXISTS agentsnapshots_grainstate_key
    ON agentsnapshots_grainstate (grainidhash, graintypehash, serviceid, grainidn0, grainidn1,
                                  graintypestring, (coalesce(grainidextensionstring, '')));

-- Write with optimistic concurrency. p_version is the ETag the grain holds (NULL: it believes no row
-- exists). Returns the new version, or NULL when the ETag is stale (the provider then throws
-- InconsistentStateException). Atomic under concurrent writers: the insert path relies on the unique
-- index (ON CONFLICT DO NOTHING), the update path on the version predicate of a single UPDATE.
CREATE OR REPLACE FUNCTION agentsnapshots_write_state(
    p_grainidhash integer, p_graintypehash integer, p_serviceid text, p_grainidn0 bigint,
    p_grainidn1 bigint, p_graintypestring text, p_extension text, p_version integer, p_payload bytea)
RETURNS integer
LANGUAGE plpgsql
AS $fn$
DECLARE
    v_new integer;
BEGIN
    IF p_version IS NULL THEN
        INSERT INTO agentsnapshots_grainstate AS s
            (grainidhash, graintypehash, serviceid, grainidn0, grainidn1, graintypestring,
             grainidextensionstring, payloadbinary, version, modifiedon)
        VALUES (p_grainidhash, p_graintypehash, p_serviceid, p_grainidn0, p_grainidn1, p_graintypestring,
                p_extension, p_payload, 1, now())
        ON CONFLICT DO NOTHING
        RETURNING s.version INTO v_new;
    ELSE
        UPDATE agentsnapshots_grainstate AS s
           SET payloadbinary = p_payload, version = s.version + 1, modifiedon = now()
         WHERE s.grainidhash = p_grainidhash AND s.graintypehash = p_graintypehash
           AND s.serviceid = p_serviceid AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.graintypestring = p_graintypestring
           AND coalesce(s.grainidextensionstring, '') = coalesce(p_extension, '')
           AND s.version = p_version
        RETURNING s.version INTO v_new;
    END IF;
    RETURN v_new; -- NULL: nothing inserted or updated, i.e. a version conflict
END;
$fn$;

-- Clear keeps the row with a NULL payload and a bumped version (returned); delete removes it and
-- returns the removed version + 1 (the provider only checks it differs from the ETag). No row
-- returned = stale ETag = conflict.
CREATE OR REPLACE FUNCTION agentsnapshots_clear_state(
    p_grainidhash integer, p_graintypehash integer, p_serviceid text, p_grainidn0 bigint,
    p_grainidn1 bigint, p_graintypestring text, p_extension text, p_version integer, p_delete boolean)
RETURNS SETOF integer
LANGUAGE plpgsql
AS $fn$
BEGIN
    IF p_delete THEN
        RETURN QUERY
        DELETE FROM agentsnapshots_grainstate AS s
         WHERE s.grainidhash = p_grainidhash AND s.graintypehash = p_graintypehash
           AND s.serviceid = p_serviceid AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.graintypestring = p_graintypestring
           AND coalesce(s.grainidextensionstring, '') = coalesce(p_extension, '')
           AND s.version IS NOT DISTINCT FROM p_version
        RETURNING s.version + 1;
    ELSE
        RETURN QUERY
        UPDATE agentsnapshots_grainstate AS s
           SET payloadbinary = NULL, version = s.version + 1, modifiedon = now()
         WHERE s.grainidhash = p_grainidhash AND s.graintypehash = p_graintypehash
           AND s.serviceid = p_serviceid AND s.grainidn0 = p_grainidn0 AND s.grainidn1 = p_grainidn1
           AND s.graintypestring = p_graintypestring
           AND coalesce(s.grainidextensionstring, '') = coalesce(p_extension, '')
           AND s.version IS NOT DISTINCT FROM p_version
        RETURNING s.version;
    END IF;
END;
$fn$;

-- Provider queries. Parameters (named by the provider): GrainIdHash, GrainIdN0, GrainIdN1,
-- GrainTypeHash, GrainTypeString, GrainIdExtensionString, ServiceId, GrainStateVersion, PayloadBinary.
INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $q$
SELECT s.payloadbinary AS "PayloadBinary", s.version AS "Version"
  FROM agentsnapshots_grainstate AS s
 WHERE s.grainidhash = @GrainIdHash AND s.graintypehash = @GrainTypeHash
   AND s.serviceid = @ServiceId AND s.grainidn0 = @GrainIdN0 AND s.grainidn1 = @GrainIdN1
   AND s.graintypestring = @GrainTypeString
   AND coalesce(s.grainidextensionstring, '') = coalesce(@GrainIdExtensionString, '')
$q$),
('WriteToStorageKey', $q$
SELECT agentsnapshots_write_state(@GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1,
       @GrainTypeString, @GrainIdExtensionString, @GrainStateVersion, @PayloadBinary) AS "NewGrainStateVersion"
$q$),
('ClearStorageKey', $q$
SELECT v AS "NewGrainStateVersion"
  FROM agentsnapshots_clear_state(@GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1,
       @GrainTypeString, @GrainIdExtensionString, @GrainStateVersion, false) AS v
$q$),
('DeleteStorageKey', $q$
SELECT v AS "NewGrainStateVersion"
  FROM agentsnapshots_clear_state(@GrainIdHash, @GrainTypeHash, @ServiceId, @GrainIdN0, @GrainIdN1,
       @GrainTypeString, @GrainIdExtensionString, @GrainStateVersion, true) AS v
$q$)
ON CONFLICT (querykey) DO UPDATE SET querytext = excluded.querytext;

INSERT INTO agentsnapshots_schema_version (version, name) VALUES (1, '0001-storage')
ON CONFLICT (version) DO NOTHING;
