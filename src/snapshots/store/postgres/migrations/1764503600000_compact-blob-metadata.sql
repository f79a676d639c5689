-- Up Migration
-- The compact per-blob metadata (see src/snapshots/store/catalog-encoding.ts): new rows keep the
-- structure deflated in structure_z (structure NULL) and the header block deflated in header; rows
-- written before keep structure as JSON text and header raw, and are read as such (no rewrite).
ALTER TABLE blobs ADD COLUMN IF NOT EXISTS structure_z bytea;
ALTER TABLE blobs ALTER COLUMN structure DROP NOT NULL;

-- Down Migration
DELETE FROM blobs WHERE structure IS NULL;
ALTER TABLE blobs ALTER COLUMN structure SET NOT NULL;
ALTER TABLE blobs DROP COLUMN structure_z;
