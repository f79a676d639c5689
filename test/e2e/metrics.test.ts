/** Issue 6: the IMAP server's counters on /metrics move when a client logs in and fetches. */
import { ImapFlow } from 'imapflow';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'metrics-dave';
const PASSWORD = 'dave-metrics-pw';
let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [{ user: ACCOUNT, password: PASSWORD, seed: (live) => appendAll(live, 'INBOX', buildCorpus({ count: 5, seed: 3 })) }],
    days: ['2026-11-20'],
  });
}, 120000);

afterAll(async () => {
  await server?.stop();
});

async function sample(pattern: RegExp): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${server.service.http.port}/metrics`);
  expect(response.status).toBe(200);
  const text = await response.text();
  const line = text.split('\n').find((candidate) => pattern.test(candidate));
  return line ? Number(line.split(' ').pop()) : 0;
}

test('logins, FETCH commands and bytes sent are counted', async () => {
  const logins = await sample(/^mtm_logins_total\{result="ok"\}/);
  const fetches = await sample(/^mtm_imap_commands_total\{command="UID FETCH",result="ok"\}/);
  const failed = await sample(/^mtm_logins_total\{result="failed"\}/);
  const sent = await sample(/^mtm_imap_sent_bytes_total/);

  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, logger: false, auth: { user: ACCOUNT, pass: PASSWORD } });
  await client.connect();
  await client.mailboxOpen(`Snapshots/2026-11-20/INBOX`, { readOnly: true });
  const bodies = [];
  for await (const message of client.fetch('1:*', { uid: true, source: true }, { uid: true })) bodies.push(message.source);
  expect(bodies).toHaveLength(5);
  expect(await sample(/^mtm_imap_connections_open/)).toBeGreaterThanOrEqual(1);
  await client.logout();
  const wrong = new ImapFlow({ host: server.host, port: server.port, secure: false, logger: false, auth: { user: ACCOUNT, pass: 'not-the-password' } });
  await expect(wrong.connect()).rejects.toThrow();

  await new Promise((resolve) => setTimeout(resolve, 200));
  expect(await sample(/^mtm_logins_total\{result="ok"\}/)).toBe(logins + 1);
  expect(await sample(/^mtm_logins_total\{result="failed"\}/)).toBe(failed + 1);
  expect(await sample(/^mtm_imap_commands_total\{command="UID FETCH",result="ok"\}/)).toBeGreaterThan(fetches);
  expect(await sample(/^mtm_imap_sent_bytes_total/)).toBeGreaterThan(sent);
});
