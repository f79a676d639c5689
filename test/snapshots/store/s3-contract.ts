/**
 * The store contract suite with blobs on an S3-protocol server, opened through openStore as
 * production opens it (embedded catalog, S3 blobs). Each fresh store gets a prefix of its own.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { accountDirectoryName } from '../../../src/snapshots/store/embedded/file-blob-store.js';
import { openStore, type StoreObserver } from '../../../src/snapshots/store/store.js';
import { createTestBucket, type S3Server, type TestBucket } from '../../fixtures/s3.js';
import { blobStoreContract, storeContract } from './contract/index.js';

export function s3StoreContract(server: S3Server): void {
  let bucket: TestBucket;
  let stores = 0;
  // Swift: the first call may install and start it (scripts/start-swift.sh).
  beforeAll(async () => {
    bucket = await createTestBucket(server, '');
  }, 600_000);
  afterAll(async () => {
    await bucket?.remove();
  });

  async function freshStore(observer: StoreObserver = {}) {
    const path = mkdtempSync(join(tmpdir(), 'mtm-s3-contract-'));
    const prefix = `contract-${(stores += 1)}`;
    const store = await openStore({ path, s3: { ...bucket.settings, prefix } }, 'write', observer);
    const cleanup = async () => {
      await store.close();
      rmSync(path, { recursive: true, force: true });
    };
    return { path, prefix, store, cleanup };
  }

  storeContract(`embedded catalog + S3 on ${server}`, async () => {
    const { store, cleanup } = await freshStore();
    return { subject: store, cleanup, secrets: [bucket.settings.secretAccessKey] };
  });

  blobStoreContract(`S3 on ${server}`, async (onDamage) => {
    const { prefix, store, cleanup } = await freshStore({ blobDamaged: onDamage });
    const { bucket: name } = bucket.settings;
    const corrupt = async (account: string, hash: string, position: number) => {
      const key = `${prefix}/${accountDirectoryName(account)}/${hash}`;
      const response = await bucket.client.send(new GetObjectCommand({ Bucket: name, Key: key }));
      const stored = Buffer.from(await response.Body!.transformToByteArray());
      stored[position % stored.length] ^= 1 << (position % 8);
      await bucket.client.send(new PutObjectCommand({ Bucket: name, Key: key, Body: stored, ContentLength: stored.length }));
    };
    return { subject: store.blobs, cleanup, corrupt };
  });
}
