-- AgentSnapshots schema for PostgreSQL, version 3: sessions' histories and workspaces' catalogues as rows of their
-- own (written by the silo's SnapshotRows, not by the Orleans grain storage). A track writes one history row, one
-- catalogue row and, when they changed, the session's and the workspace's rows, in one transaction.
--
-- Safe to run more than once: every object is created only when absent. Sessions and workspaces stored by an
-- earlier version (history and catalogue pages in agentsnapshots_grainstate) are migrated to these rows by the
-- silo, one at a time, when each is first activated; nothing here moves them.

-- One row per session: the workspace it is bound to and the drop epoch its history was last pruned at.
CREATE TABLE IF NOT EXISTS snapshots_session
(
    service_id   text   NOT NULL,
    session_id   text   NOT NULL,
    workspace_id text   NULL,
    directory    text   NULL,
    synced_epoch bigint NOT NULL,
    PRIMARY KEY (service_id, session_id)
);

-- One row per snapshot in a session's history, in the order of seq. The step's stats (changed .. exact_step) are
-- null until its diff is computed; pending_from names the snapshot they are against meanwhile.
CREATE TABLE IF NOT EXISTS snapshots_history
(
    service_id   text    NOT NULL,
    session_id   text    NOT NULL,
    seq          bigint  NOT NULL,
    hash         text    NOT NULL,
    label        text    NULL,
    taken_ms     bigint  NOT NULL,
    files        integer NOT NULL,
    skipped      integer NOT NULL,
    pending_from text    NULL,
    changed      integer NULL,
    additions    bigint  NULL,
    deletions    bigint  NULL,
    exact_step   integer NULL,
    PRIMARY KEY (service_id, session_id, seq)
);

-- One row per workspace: its directory, session slots (a JSON array), the recording sequence at the last collection,
-- the drop epoch and the recent drops (a JSON array, at most 1,000).
CREATE TABLE IF NOT EXISTS snapshots_workspace
(
    service_id    text   NOT NULL,
    workspace_id  text   NOT NULL,
    directory     text   NULL,
    sessions      text   NOT NULL,
    collected_seq bigint NOT NULL,
    drop_epoch    bigint NOT NULL,
    drops         text   NOT NULL,
    PRIMARY KEY (service_id, workspace_id)
);

-- One row per live snapshot of a workspace, in the order of recorded_seq (its last recording); owners are
-- slot:sequence pairs separated by ';'.
CREATE TABLE IF NOT EXISTS snapshots_catalogue
(
    service_id   text    NOT NULL,
    workspace_id text    NOT NULL,
    hash         text    NOT NULL,
    recorded_seq bigint  NOT NULL,
    taken_ms     bigint  NOT NULL,
    safety       integer NOT NULL,
    owners       text    NOT NULL,
    PRIMARY KEY (service_id, workspace_id, hash)
);

CREATE INDEX IF NOT EXISTS snapshots_catalogue_order ON snapshots_catalogue (service_id, workspace_id, recorded_seq);
