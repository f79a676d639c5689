-- Up Migration
-- Open-ended rows (see src/snapshots/store/catalog.ts): the rows of each account's latest committed
-- capture get last_seq = 2^53 - 1 (OPEN), so an unchanged night writes O(folders) rows instead of
-- extending every message row. A capture left running by an older version keeps its own rows closed
-- at its seq, so rolling it back (deleting them) leaves exactly that committed state open.
-- recorded_seq: the latest capture that recorded or carried the folder forward; at commit, the
-- open folders a capture did not see are closed.

ALTER TABLE folder_versions ADD COLUMN recorded_seq bigint NOT NULL DEFAULT 0;

UPDATE folder_versions t SET last_seq = 9007199254740991
FROM (SELECT account_id, max(seq) AS seq FROM captures WHERE status IN ('committed', 'superseded') GROUP BY account_id) latest
WHERE latest.account_id = t.account_id AND t.first_seq <= latest.seq AND t.last_seq >= latest.seq;

UPDATE message_versions t SET last_seq = 9007199254740991
FROM (SELECT account_id, max(seq) AS seq FROM captures WHERE status IN ('committed', 'superseded') GROUP BY account_id) latest
WHERE latest.account_id = t.account_id AND t.first_seq <= latest.seq AND t.last_seq >= latest.seq;

-- Down Migration
UPDATE folder_versions t SET last_seq = latest.seq
FROM (SELECT account_id, max(seq) AS seq FROM captures GROUP BY account_id) latest
WHERE latest.account_id = t.account_id AND t.last_seq = 9007199254740991;
UPDATE message_versions t SET last_seq = latest.seq
FROM (SELECT account_id, max(seq) AS seq FROM captures GROUP BY account_id) latest
WHERE latest.account_id = t.account_id AND t.last_seq = 9007199254740991;
ALTER TABLE folder_versions DROP COLUMN recorded_seq;
