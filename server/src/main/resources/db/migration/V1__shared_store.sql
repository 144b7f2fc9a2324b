-- The shared store's metadata (issue 20). Files live in object storage under content-addressed
-- keys (blobs/sha256/..); rows here name them by SHA-256 in their "files" column, a JSON object
-- {"relative/path": {"sha256": "...", "size": N}}. A row is written only after every blob it
-- names was uploaded, in one transaction, so a reader sees a version whole or not at all.

-- Every server process using the store: it heartbeats; one silent past its lease is dead.
CREATE TABLE instances (
  id            text PRIMARY KEY,
  host          text NOT NULL,
  started_at    timestamptz NOT NULL,
  heartbeat_at  timestamptz NOT NULL
);

-- Model versions. A deleted version keeps its row (deleted_at set, files emptied) so its number
-- is never reused: name@version names one model forever, on every replica.
CREATE TABLE model_versions (
  name        text NOT NULL,
  version     integer NOT NULL CHECK (version > 0),
  record      jsonb NOT NULL,
  files       jsonb NOT NULL,
  job_id      text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL,
  deleted_at  timestamptz,
  PRIMARY KEY (name, version)
);
CREATE INDEX model_versions_job ON model_versions (job_id) WHERE job_id <> '';

CREATE TABLE model_aliases (
  name        text NOT NULL,
  alias       text NOT NULL,
  version     integer NOT NULL,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (name, alias)
);

CREATE TABLE datasets (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  record      jsonb NOT NULL,
  files       jsonb NOT NULL,
  created_by  text NOT NULL DEFAULT '',
  created_at  timestamptz NOT NULL
);
CREATE INDEX datasets_name ON datasets (name, created_at DESC);

-- Jobs: the record as its owner last saved it.
CREATE TABLE jobs (
  id          text PRIMARY KEY,
  owner       text NOT NULL,
  state       text NOT NULL,
  record      jsonb NOT NULL,
  created_at  timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL
);
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('QUEUED', 'RUNNING');

-- A request to cancel a job another replica runs; its owner deletes the row when it acts on it.
CREATE TABLE job_cancels (
  id            text PRIMARY KEY,
  requested_at  timestamptz NOT NULL,
  requested_by  text NOT NULL
);
