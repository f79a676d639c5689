/**
 * The IMAP server on a store whose catalog is in PostgreSQL: while PostgreSQL cannot be reached,
 * reads that need it are refused `NO [UNAVAILABLE]` (not a BAD, not a crash, the connection lives
 * on), and the same commands succeed again once it is back.
 */
import { generateMessage, appendAll } from '../../src/testbed/corpus.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { startCuttableRelay, type CuttableRelay } from '../fixtures/cuttable-relay.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/postgres.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'e2e-pg-flo';
const PASSWORD = 'e2e-pg-flo-pw';

let database: TestDatabase;
let relay: CuttableRelay;
let server: SnapshotServer;

beforeAll(async () => {
  database = await createTestDatabase();
  relay = await startCuttableRelay({ host: '127.0.0.1', port: 5432 });
  const url = new URL(database.url);
  url.port = String(relay.port);
  server = await startSnapshotServer({
    accounts: [{ user: ACCOUNT, password: PASSWORD, seed: (live) => appendAll(live, 'INBOX', [1, 2, 3].map((n) => generateMessage(n, 23))) }],
    days: ['2026-11-20', '2026-11-21'],
    store: { postgres: { url: url.toString() } },
  });
}, 120_000);

afterAll(async () => {
  await server?.stop();
  await relay?.cut().catch(() => {});
  await database?.drop();
});

function tagged(reply: Buffer): string {
  const lines = reply.toString('latin1').split('\r\n');
  return `${lines[lines.length - 2]}\r\n`;
}

test('PostgreSQL gone: NO [UNAVAILABLE] for what needs the catalog, on a connection that lives on; back: the same commands succeed', async () => {
  const imap = await RawImap.connect(server.host, server.port);
  try {
    await imap.login(ACCOUNT, PASSWORD);
    expect(tagged(await imap.command('EXAMINE "Snapshots/2026-11-20/INBOX"'))).toMatch(/^A\d+ OK \[READ-ONLY\]/);
    await relay.cut();
    for (const command of ['EXAMINE "Snapshots/2026-11-21/INBOX"', 'STATUS "Snapshots/2026-11-21/INBOX" (MESSAGES)', 'LIST "" "Snapshots/2026-11-21/*"']) {
      const verb = command.split(' ')[0];
      expect(tagged(await imap.command(command))).toMatch(new RegExp(`^A\\d+ NO \\[UNAVAILABLE\\] ${verb}: the snapshot store is not answering; try again in a few minutes\r\n$`));
    }
    expect(tagged(await imap.command('NOOP'))).toMatch(/^A\d+ OK/);
    await relay.mend();
    expect(tagged(await imap.command('EXAMINE "Snapshots/2026-11-21/INBOX"'))).toMatch(/^A\d+ OK \[READ-ONLY\]/);
    const fetched = (await imap.command('FETCH 1:* (UID RFC822.SIZE)')).toString('latin1');
    expect(fetched.match(/^\* \d+ FETCH/gm)).toHaveLength(3);
  } finally {
    await imap.command('LOGOUT').catch(() => undefined);
  }
});
