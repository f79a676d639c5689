/**
 * The IMAP server on a store whose catalog is in PostgreSQL: while PostgreSQL cannot be reached,
 * reads that need it are refused `NO [UNAVAILABLE]` (not a BAD, not a crash, the connection lives
 * on), /readyz names PostgreSQL as failing, and all succeeds again once it is back.
 */
import { generateMessage, appendAll } from '../../src/testbed/corpus.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { createTestDatabase, startPostgresRelay, type PostgresRelay, type TestDatabase } from '../fixtures/postgres.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'e2e-pg-flo';
const PASSWORD = 'e2e-pg-flo-pw';


let database: TestDatabase;
let relay: PostgresRelay;
let server: SnapshotServer;

beforeAll(async () => {
  database = await createTestDatabase();
  relay = await startPostgresRelay();
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

async function readyz(): Promise<{ status: number; checks: { name: string; ok: boolean; detail: string }[] }> {
  const response = await fetch(`http://127.0.0.1:${server.service.http.port}/readyz`);
  return { status: response.status, checks: ((await response.json()) as { checks: { name: string; ok: boolean; detail: string }[] }).checks };
}

function tagged(reply: Buffer): string {
  const lines = reply.toString('latin1').split('\r\n');
  return `${lines[lines.length - 2]}\r\n`;
}

test('PostgreSQL gone: NO [UNAVAILABLE] for what needs the catalog, on a connection that lives on, and /readyz says so; back: the same commands succeed', async () => {
  const imap = await RawImap.connect(server.host, server.port);
  try {
    await imap.login(ACCOUNT, PASSWORD);
    expect(tagged(await imap.command('EXAMINE "Snapshots/2026-11-20/INBOX"'))).toMatch(/^A\d+ OK \[READ-ONLY\]/);
    await relay.cut();
    for (const command of ['EXAMINE "Snapshots/2026-11-21/INBOX"', 'STATUS "Snapshots/2026-11-21/INBOX" (MESSAGES)', 'LIST "" "Snapshots/2026-11-21/*"']) {
      const verb = command.split(' ')[0];
      expect(tagged(await imap.command(command))).toMatch(new RegExp(`^A\\d+ NO \\[UNAVAILABLE\\] ${verb} cannot be served now: the message store is not answering; try again in a few minutes\r\n$`));
    }
    expect(tagged(await imap.command('NOOP'))).toMatch(/^A\d+ OK/);
    const down = await readyz();
    expect(down.status).toBe(503);
    expect(down.checks.find((check) => check.name === 'postgres')).toEqual({ name: 'postgres', ok: false, detail: `PostgreSQL at 127.0.0.1:${relay.port} is unreachable: ECONNREFUSED` });
    await relay.mend();
    expect((await readyz()).checks.find((check) => check.name === 'postgres')).toMatchObject({ ok: true });
    expect(tagged(await imap.command('EXAMINE "Snapshots/2026-11-21/INBOX"'))).toMatch(/^A\d+ OK \[READ-ONLY\]/);
    const fetched = (await imap.command('FETCH 1:* (UID RFC822.SIZE)')).toString('latin1');
    expect(fetched.match(/^\* \d+ FETCH/gm)).toHaveLength(3);
  } finally {
    await imap.command('LOGOUT').catch(() => undefined);
  }
});
