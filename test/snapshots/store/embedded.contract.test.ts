/** The store contract suite against the embedded store: SQLite catalog and jobs, blob files. */
import { mkdtempSync, openSync, readSync, rmSync, statSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

/**
 * Counts the version rows written, through triggers in the catalog file itself (installed from a
 * connection of the test's own; the store's connection picks up the schema change).
 */
function countRowWrites(path: string): () => Promise<number> {
  const file = join(path, 'catalog.sqlite');
  const db = new Database(file);
  db.exec('CREATE TABLE probe_row_writes (n INTEGER)');
  for (const table of ['folder_versions', 'message_versions']) {
    for (const event of ['INSERT', 'UPDATE', 'DELETE']) {
      db.exec(`CREATE TRIGGER probe_${table}_${event} AFTER ${event} ON ${table} FOR EACH ROW BEGIN INSERT INTO probe_row_writes VALUES (1); END`);
    }
  }
  db.close();
  return async () => {
    const reader = new Database(file, { readonly: true });
    try {
      return (reader.prepare('SELECT count(*) AS n FROM probe_row_writes').get() as { n: number }).n;
    } finally {
      reader.close();
    }
  };
}

catalogContract('embedded (SQLite)', async () => {
  const { path, store, cleanup } = await freshStore();
  return { subject: store.catalog, cleanup, rowWrites: countRowWrites(path) };
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
