/**
 * The whole-store contract against the scale-out combination, opened through openStore as
 * production opens it: catalog and restore jobs in PostgreSQL, blobs on s3rver (each fresh store a
 * database and a bucket prefix of its own). Neither password may show in any answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/snapshots/store/store.js';
import { createTestDatabase } from '../../fixtures/postgres.js';
import { createTestBucket, type TestBucket } from '../../fixtures/s3.js';
import { storeContract } from './contract/index.js';

const PASSWORD = 'pg-s3-contract-secret';
let bucket: TestBucket;
let stores = 0;

beforeAll(async () => {
  bucket = await createTestBucket('s3rver', '');
});
afterAll(async () => {
  await bucket?.remove();
});

storeContract('PostgreSQL + S3 on s3rver', async () => {
  const [database, path] = [await createTestDatabase(), mkdtempSync(join(tmpdir(), 'mtm-contract-pg-s3-'))];
  const url = new URL(database.url);
  url.password = PASSWORD;
  const store = await openStore({ path, postgres: { url: url.toString() }, s3: { ...bucket.settings, prefix: `contract-${(stores += 1)}` } }, 'write');
  return {
    subject: store,
    secrets: [PASSWORD, bucket.settings.secretAccessKey],
    async cleanup() {
      await store.close();
      await database.drop();
      rmSync(path, { recursive: true, force: true });
    },
  };
});
