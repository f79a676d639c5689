/**
 * A snapshot taken before an analyzer fix keeps the structure the old analyzer recorded. Such a
 * structure (an older STRUCTURE_VERSION) must not be served: FETCH derives it anew from the stored
 * message and answers as Dovecot does.
 */
import Database from 'better-sqlite3';
import { decodeHeader, decodeStructure } from '../../src/snapshots/store/catalog-encoding.js';
import { join } from 'node:path';
import { STRUCTURE_VERSION } from '../../src/mail/structure.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'stale-structure';
/** A nested multipart reusing its parent's boundary (issue 11): older analyzers lost its part 2. */
const MESSAGE = [
  'From: a@x.example', 'Subject: nested', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="X"', '',
  '--X', 'Content-Type: multipart/alternative; boundary="X"', '', '--X', 'Content-Type: text/plain', '', 'alpha', '--X--', '',
  '--X', 'Content-Type: application/pdf', '', 'attachment', '--X--', '',
].join('\r\n');

let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [{ user: ACCOUNT, password: 'stale-pw-1', seed: async (live) => void (await live.append('INBOX', MESSAGE)) }],
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

test('a structure recorded by an older analyzer version is derived anew from the message', async () => {
  // What an older analyzer would have recorded: its version, and a wrong tree (no parts at all).
  const db = new Database(join(server.storePath, 'catalog.sqlite'));
  try {
    const rows = db.prepare('SELECT account_id, hash, structure, header FROM blobs').all() as Array<{ account_id: number; hash: string; structure: string | Buffer; header: Buffer | null }>;
    expect(rows).toHaveLength(1);
    // The row is in the compact encoding; the stale one goes back as JSON text, as older catalogs hold it.
    const stale = decodeStructure(rows[0].structure, rows[0].header ? decodeHeader(rows[0].header) : null);
    expect(stale.version).toBe(STRUCTURE_VERSION);
    stale.version = STRUCTURE_VERSION - 1;
    stale.root.children = [];
    db.prepare('UPDATE blobs SET structure = ? WHERE account_id = ? AND hash = ?').run(JSON.stringify(stale), rows[0].account_id, rows[0].hash);
  } finally {
    db.close();
  }
  const dovecot = await RawImap.connect(server.testbed.host, server.testbed.port);
  const ours = await RawImap.connect(server.host, server.port);
  try {
    await dovecot.loginAs(ACCOUNT, server.testbed.masterUser, server.testbed.masterPassword);
    await ours.login(ACCOUNT, server.password);
    await dovecot.command('EXAMINE INBOX');
    await ours.command(`EXAMINE "Snapshots/${server.day}/INBOX"`);
    const answer = async (client: RawImap) => (await client.untagged('FETCH 1 (BODYSTRUCTURE BODY.PEEK[2])')).toString('latin1');
    const expected = await answer(dovecot);
    expect(expected).toContain('"application" "pdf"');
    expect(await answer(ours)).toBe(expected);
  } finally {
    await dovecot.close();
    await ours.close();
  }
});
