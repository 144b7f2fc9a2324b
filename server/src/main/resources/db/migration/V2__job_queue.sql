-- The cluster-wide job queue (issue 20): a job accepted by any replica waits here until a replica
-- with a free training slot in its pool claims it (SELECT ... FOR UPDATE SKIP LOCKED). A claim
-- lasts as long as the claiming replica heartbeats in "instances"; a lost claim is re-queued or
-- dropped by a live replica. The row goes when the job ends.
CREATE TABLE job_queue (
  id           text PRIMARY KEY,
  pool         text NOT NULL,
  priority     integer NOT NULL,
  command      text NOT NULL,
  enqueued_at  timestamptz NOT NULL,
  claimed_by   text,
  claimed_at   timestamptz,
  attempts     integer NOT NULL DEFAULT 0
);
CREATE INDEX job_queue_next ON job_queue (pool, priority DESC, enqueued_at) WHERE claimed_by IS NULL;

-- The latest checkpoint of each running job, in object storage: files as in model_versions.
CREATE TABLE job_checkpoints (
  job_id    text PRIMARY KEY,
  epoch     integer NOT NULL,
  files     jsonb NOT NULL,
  saved_at  timestamptz NOT NULL
);
