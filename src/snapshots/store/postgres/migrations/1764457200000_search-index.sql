-- Up Migration
-- The search index (issue 13): each blob's searchable text as SEARCH TEXT compares it (decoded,
-- folded), under the version of that definition. The trigram index that makes it a prefilter needs
-- the pg_trgm extension, which not every server offers: it is made when the catalog opens
-- (PostgresCatalog.enableSearchIndex), so a server without it still starts, searching by scan.

CREATE TABLE blob_texts (
  account_id bigint NOT NULL,
  hash text COLLATE "C" NOT NULL,
  version integer NOT NULL,
  text text COLLATE "C" NOT NULL,
  PRIMARY KEY (account_id, hash)
);

-- Down Migration
DROP TABLE blob_texts;
