/** The store contract suite against the PostgreSQL catalog and job store (blobs: files), each instance on a database of its own. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
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
  return { store, cleanup, url: database.url };
}

/** Counts the version rows written, through triggers in the test's database. */
async function countRowWrites(url: string): Promise<() => Promise<number>> {
  const query = async (sql: string) => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end();
    }
  };
  await query(`CREATE TABLE probe_row_writes (n int);
    CREATE FUNCTION probe_row_write() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO probe_row_writes VALUES (1); RETURN NULL; END $$;
    CREATE TRIGGER probe_folder_versions AFTER INSERT OR UPDATE OR DELETE ON folder_versions FOR EACH ROW EXECUTE FUNCTION probe_row_write();
    CREATE TRIGGER probe_message_versions AFTER INSERT OR UPDATE OR DELETE ON message_versions FOR EACH ROW EXECUTE FUNCTION probe_row_write();`);
  return async () => Number((await query('SELECT count(*) AS n FROM probe_row_writes'))[0].n);
}

catalogContract('PostgreSQL', async () => {
  const { store, cleanup, url } = await freshStore();
  return { subject: store.catalog, cleanup, rowWrites: await countRowWrites(url) };
});

jobStoreContract('PostgreSQL', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store.jobs, cleanup };
});

storeContract('PostgreSQL', async () => {
  const { store, cleanup } = await freshStore();
  return { subject: store, cleanup, secrets: [PASSWORD] };
});
