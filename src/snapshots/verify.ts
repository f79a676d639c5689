/** `mtm verify`: every blob a day references exists, passes its checksums, and hashes to its name. */
import { createHash } from 'node:crypto';
import { BlobDamagedError } from './store/blob-damage.js';
import type { Store } from './store/store.js';

export interface BlobDamage {
  account: string;
  hash: string;
  problem: string;
}

export interface VerifyResult {
  account: string;
  checked: number;
  damaged: BlobDamage[];
}

export async function verifyAccount(store: Store, account: string): Promise<VerifyResult> {
  const damaged: BlobDamage[] = [];
  const blobs = await store.catalog.referencedBlobs(account);
  for (const blob of blobs) {
    if (!(await store.blobs.has(account, blob.hash))) {
      damaged.push({ account, hash: blob.hash, problem: 'missing' });
      continue;
    }
    try {
      const digest = createHash('sha256');
      let size = 0;
      for await (const chunk of store.blobs.read(account, blob.hash)) {
        digest.update(chunk as Buffer);
        size += (chunk as Buffer).length;
      }
      const actual = digest.digest('hex');
      if (actual !== blob.hash) damaged.push({ account, hash: blob.hash, problem: `content hashes to ${actual}` });
      else if (size !== blob.size) damaged.push({ account, hash: blob.hash, problem: `size ${size} instead of ${blob.size}` });
    } catch (error) {
      const problem = error instanceof BlobDamagedError ? `damaged: ${error.problem}` : `unreadable (${(error as Error).message})`;
      damaged.push({ account, hash: blob.hash, problem });
    }
  }
  return { account, checked: blobs.length, damaged };
}
