-- Up Migration
-- Restore jobs and denials (see src/recovery/jobs.ts), shared by every instance on this database.
-- A job is owned by the process that last changed it; the owner is alive while its session holds
-- the advisory lock (restore job owners namespace, owner_id), so a job of a process killed on any
-- machine is reaped as interrupted.

CREATE SEQUENCE restore_job_owners AS integer MAXVALUE 2147483647 CYCLE;

CREATE TABLE restore_jobs (
  n bigserial UNIQUE,
  id text PRIMARY KEY,
  account text COLLATE "C" NOT NULL,
  status text NOT NULL,
  requested_on text COLLATE "C" NOT NULL,
  owner_id integer NOT NULL,
  owner_host text NOT NULL,
  owner_pid integer NOT NULL,
  created_at text COLLATE "C" NOT NULL,
  -- The whole RestoreJob as JSON text; status is authoritative in its column.
  body text NOT NULL
);
CREATE INDEX restore_jobs_account ON restore_jobs (account, status);
CREATE INDEX restore_jobs_active ON restore_jobs (status) WHERE status IN ('deciding', 'queued', 'running');

-- One row per account, day and denial reason: the denial recorded (and emailed) for it, and how
-- often it was repeated since. Keeps both the emails and the records of repeated denials bounded.
CREATE TABLE restore_denials (
  account text COLLATE "C" NOT NULL,
  requested_on text COLLATE "C" NOT NULL,
  code text COLLATE "C" NOT NULL,
  job_id text NOT NULL,
  repeats integer NOT NULL DEFAULT 0,
  PRIMARY KEY (account, requested_on, code)
);

-- Down Migration
DROP TABLE restore_denials;
DROP TABLE restore_jobs;
DROP SEQUENCE restore_job_owners;
