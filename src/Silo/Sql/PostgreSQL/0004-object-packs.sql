-- AgentSnapshots schema for PostgreSQL, version 4: workspaces' object stores in the database
-- (Snapshots:ObjectStore = postgres). A store is a set of immutable named files (packs and their indexes), each
-- stored as chunks of at most 1 MiB (bytea, no large objects) and read by range.
--
-- A put writes its chunks under a fresh upload id (one row in snapshots_object_upload while it runs), then, in the
-- transaction of its last chunk, names the file (snapshots_object_file) and ends the upload row: a file is visible
-- only whole, and a torn put leaves only an upload row and chunks no file names, which collection removes later.
--
-- Safe to run more than once: every object is created only when absent.

-- One row per complete file: its store, name, length and the upload whose chunks hold it.
CREATE TABLE IF NOT EXISTS snapshots_object_file
(
    service_id  text   NOT NULL,
    store_id    text   NOT NULL,
    name        text   NOT NULL,
    upload_id   uuid   NOT NULL,
    length      bigint NOT NULL,
    chunk_bytes integer NOT NULL,
    PRIMARY KEY (service_id, store_id, name)
);

-- One row per put in flight (or torn): removed with the put's last chunk.
CREATE TABLE IF NOT EXISTS snapshots_object_upload
(
    upload_id  uuid        NOT NULL PRIMARY KEY,
    service_id text        NOT NULL,
    store_id   text        NOT NULL,
    name       text        NOT NULL,
    started_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS snapshots_object_upload_store ON snapshots_object_upload (service_id, store_id, started_at);

-- The bytes: chunk seq of an upload holds bytes seq * chunk_bytes .. of the file.
CREATE TABLE IF NOT EXISTS snapshots_object_chunk
(
    upload_id uuid    NOT NULL,
    seq       integer NOT NULL,
    data      bytea   NOT NULL,
    PRIMARY KEY (upload_id, seq)
);

-- Pack data is compressed already: stored out of line without another compression attempt.
ALTER TABLE snapshots_object_chunk ALTER COLUMN data SET STORAGE EXTERNAL;
