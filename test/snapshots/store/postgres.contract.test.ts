/** The store contract suite against the PostgreSQL catalog and job store (blobs: files), each instance on a database of its own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore } from '../../../src/snapshots/store/store.js';
import { createTestDatabase } from '../../fixtures/postgres.js';
import { catalogContract, jobStoreContract, storeContract } from './contract/index.js';

const PASSWORD = 'contract-secret-pw';

/** Each instance comes from openStore, as production opens it with store.postgres.url set (trust auth ignores the password). */
async function freshStore() {
  const [database, path] = [await createTestDatabase(), mkdtempSync(join(tmpdir(), 'mtm-contract-pg-'))];
  const url = new URL(database.url);
  url.password = PASSWORD;
  const store = await openStore({ path, postgres: { url: url.toString() } }, 'write');
  const cleanup = async () => {
    await store.close();
    await database.drop();
    rmSync(path, { recursive: true, force: true });
  };
  return { store, cleanup };
}

catalogContract('PostgreSQL', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store.catalog, cleanup };
});

jobStoreContract('PostgreSQL', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store.jobs, cleanup };
});

storeContract('PostgreSQL', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store, cleanup, secrets: [PASSWORD] };
});
