/** The snapshot engine against the real Dovecot, into a store whose catalog is in PostgreSQL (a database of its own). */
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '../fixtures/postgres.js';
import { describeSnapshotEngine } from './snapshot-engine.suite.js';

let database: TestDatabase;

describeSnapshotEngine({
  account: 'engine-alice-pg',
  async store() {
    database = await createTestDatabase();
    return { settings: { postgres: { url: database.url } }, cleanup: () => database.drop() };
  },
});

test('the days were recorded in PostgreSQL', async () => {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query("SELECT c.label FROM captures c JOIN accounts a ON a.id = c.account_id WHERE a.name = $1 AND c.status = 'committed' ORDER BY c.label", ['engine-alice-pg']);
    expect(rows.map((row) => row.label)).toEqual(['2026-11-01', '2026-11-02']);
  } finally {
    await client.end();
  }
});
