-- Up Migration
-- The catalog (see src/snapshots/store/catalog.ts): the SQLite catalog's model, with every index
-- led by account_id so that one account's retention (dropping days, collecting garbage) reads
-- only that account's rows however many others share the database (docs/deployment.md,
-- "PostgreSQL catalog"). Names and hashes sort bytewise (COLLATE "C"), as in SQLite, whatever the
-- database's locale.

CREATE TABLE accounts (
  id bigserial PRIMARY KEY,
  name text COLLATE "C" NOT NULL UNIQUE
);

-- A capture that is running is alive while the session that started it holds the advisory lock
-- (captures lock namespace, seq): a process that dies loses its connection and with it the lock.
CREATE TABLE captures (
  seq bigserial PRIMARY KEY,
  account_id bigint NOT NULL REFERENCES accounts (id),
  label text COLLATE "C" NOT NULL,
  status text NOT NULL CHECK (status IN ('running', 'committed', 'superseded')),
  started_at timestamptz NOT NULL DEFAULT now(),
  committed_at timestamptz
);
CREATE INDEX captures_by_account ON captures (account_id, status, label);

CREATE TABLE folder_versions (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL,
  name text COLLATE "C" NOT NULL,
  delimiter text NOT NULL,
  uid_validity bigint NOT NULL,
  uid_next bigint NOT NULL,
  highest_modseq bigint,
  subscribed boolean NOT NULL,
  special_use text,
  messages bigint NOT NULL,
  bytes bigint NOT NULL,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL
);
CREATE INDEX folder_versions_live ON folder_versions (account_id, last_seq, first_seq);

CREATE TABLE message_versions (
  id bigserial PRIMARY KEY,
  account_id bigint NOT NULL,
  folder text COLLATE "C" NOT NULL,
  uid_validity bigint NOT NULL,
  uid bigint NOT NULL,
  blob_hash text COLLATE "C" NOT NULL,
  -- JSON array of the sorted flags, compared as text to find unchanged messages.
  flags text NOT NULL,
  internal_date bigint NOT NULL,
  size bigint NOT NULL,
  first_seq bigint NOT NULL,
  last_seq bigint NOT NULL
);
CREATE INDEX message_versions_live ON message_versions (account_id, folder, uid_validity, last_seq, uid);
CREATE INDEX message_versions_by_seq ON message_versions (account_id, last_seq, first_seq);
CREATE INDEX message_versions_by_blob ON message_versions (account_id, blob_hash);

CREATE TABLE blobs (
  account_id bigint NOT NULL,
  hash text COLLATE "C" NOT NULL,
  size bigint NOT NULL,
  stored_bytes bigint NOT NULL,
  -- MessageStructure as JSON text (not jsonb: kept exactly as written).
  structure text NOT NULL,
  added_seq bigint NOT NULL,
  header bytea,
  PRIMARY KEY (account_id, hash)
);

CREATE TABLE fetched_bodies (
  account_id bigint NOT NULL,
  capture_seq bigint NOT NULL,
  folder text COLLATE "C" NOT NULL,
  uid_validity bigint NOT NULL,
  uid bigint NOT NULL,
  size bigint NOT NULL,
  internal_date bigint NOT NULL,
  blob_hash text COLLATE "C" NOT NULL
);
CREATE INDEX fetched_bodies_by_account ON fetched_bodies (account_id, capture_seq);
CREATE INDEX fetched_bodies_by_blob ON fetched_bodies (account_id, blob_hash);

-- Down Migration
DROP TABLE fetched_bodies;
DROP TABLE blobs;
DROP TABLE message_versions;
DROP TABLE folder_versions;
DROP TABLE captures;
DROP TABLE accounts;
