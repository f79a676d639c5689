/**
 * The PostgreSQL search index needs pg_trgm. A server or a user that cannot have it still gets a
 * working store: the catalog opens, says why in a notice, indexes nothing and answers every search
 * by scan (textCandidates null).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { MessageStructure } from '../../../src/mail/structure.js';
import { openStore } from '../../../src/snapshots/store/store.js';
import { createTestDatabase, POSTGRES_ADMIN_URL, type TestDatabase } from '../../fixtures/postgres.js';

let database: TestDatabase;
const role = `mtm_test_noext_${randomBytes(4).toString('hex')}`;

/** `inDatabase`: connected to the test database (grants there), else to the admin database. */
async function asAdmin(sql: string, inDatabase = true): Promise<void> {
  const client = new pg.Client({ connectionString: inDatabase ? database.url : POSTGRES_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  database = await createTestDatabase();
  // May create tables (the migrations) but not extensions: no CREATE on the database itself.
  await asAdmin(`CREATE ROLE ${role} LOGIN`);
  await asAdmin(`REVOKE CREATE ON DATABASE "${database.name}" FROM PUBLIC`);
  await asAdmin(`GRANT CONNECT ON DATABASE "${database.name}" TO ${role}`);
  await asAdmin(`GRANT USAGE, CREATE ON SCHEMA public TO ${role}`);
});

afterAll(async () => {
  await database.drop();
  await asAdmin(`DROP ROLE IF EXISTS ${role}`, false);
});

test('without the right to create pg_trgm the store opens without a search index, says why, and searches by scan', async () => {
  const url = new URL(database.url);
  url.username = role;
  const notices: string[] = [];
  const store = await openStore({ path: mkdtempSync(join(tmpdir(), 'mtm-pg-noext-')), postgres: { url: url.toString() } }, 'write', { notice: (text) => notices.push(text) });
  try {
    expect(store.catalog.searchIndex).toBe(false);
    expect(notices).toEqual([expect.stringMatching(/^no search index in PostgreSQL .*permission denied/)]);
    const { capture } = await store.catalog.startCapture('ann', '2026-05-01');
    await store.catalog.addBlobs('ann', [{ blob: { hash: 'a'.repeat(64), size: 1, storedBytes: 1 }, structure: {} as MessageStructure, searchText: { text: 'HELLO', version: 1 } }], capture);
    expect(await store.catalog.textCandidates('ann', ['a'.repeat(64)], 'HELLO', 1)).toBeNull();
    await store.catalog.abandonCapture(capture);
  } finally {
    await store.close();
  }
});
