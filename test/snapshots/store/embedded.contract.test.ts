/** The store contract suite against the embedded store: SQLite catalog and jobs, blob files. */
import { mkdtempSync, openSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/snapshots/store/store.js';
import { accountDirectoryName } from '../../../src/snapshots/store/embedded/file-blob-store.js';
import { blobStoreContract, catalogContract, jobStoreContract, storeContract } from './contract/index.js';

const freshDirectory = () => mkdtempSync(join(tmpdir(), 'mtm-contract-'));

/** Each instance comes from openStore, as production opens it. */
async function freshStore(onDamage?: Parameters<typeof openStore>[2]) {
  const path = freshDirectory();
  const store = await openStore({ path }, 'write', onDamage);
  const cleanup = async () => {
    await store.close();
    rmSync(path, { recursive: true, force: true });
  };
  return { path, store, cleanup };
}

catalogContract('embedded (SQLite)', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store.catalog, cleanup };
});

blobStoreContract('embedded (files)', async (onDamage) => {
  const { path, store, cleanup } = await freshStore({ blobDamaged: onDamage });
  const corrupt = async (account: string, hash: string, position: number) => {
    const file = join(path, 'blobs', accountDirectoryName(account), hash.slice(0, 2), hash);
    const at = position % statSync(file).size;
    const fd = openSync(file, 'r+');
    try {
      const byte = Buffer.alloc(1);
      readSync(fd, byte, 0, 1, at);
      byte[0] ^= 1 << (position % 8);
      writeSync(fd, byte, 0, 1, at);
    } finally {
      closeSync(fd);
    }
  };
  return { subject: store.blobs, cleanup, corrupt };
});

jobStoreContract('embedded (SQLite)', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store.jobs, cleanup };
});

storeContract('embedded', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store, cleanup, secrets: [] };
});
