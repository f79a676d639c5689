/** The snapshot engine against the real Dovecot, into the scale-out store: catalog in PostgreSQL, blobs on s3rver. */
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createTestDatabase, type TestDatabase } from '../fixtures/postgres.js';
import { createTestBucket, type TestBucket } from '../fixtures/s3.js';
import { describeSnapshotEngine } from './snapshot-engine.suite.js';

let database: TestDatabase;
let bucket: TestBucket;

describeSnapshotEngine({
  account: 'engine-alice-pg-s3',
  async store() {
    database = await createTestDatabase();
    bucket = await createTestBucket('s3rver', 'engine');
    return {
      settings: { postgres: { url: database.url }, s3: bucket.settings },
      cleanup: async () => {
        await bucket.remove();
        await database.drop();
      },
    };
  },
});

test('the messages were stored as objects of the account in the bucket', async () => {
  const page = await bucket.client.send(new ListObjectsV2Command({ Bucket: bucket.settings.bucket, Prefix: 'engine/engine-alice-pg-s3/' }));
  expect(page.KeyCount).toBeGreaterThan(100);
  for (const object of page.Contents ?? []) expect(object.Key).toMatch(/^engine\/engine-alice-pg-s3\/[0-9a-f]{64}$/);
});
