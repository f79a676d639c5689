/**
 * A day's snapshot taken again (`mtm snapshot --label` of the same day, here by another process
 * while `mtm serve` runs) is what the web API sorts from then on: the sorted orders it remembers
 * for the next pages are not served for the day's earlier content.
 */
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { validateConfig } from '../../src/config/load.js';
import { addDays, dayIn } from '../../src/snapshots/day-label.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ACCOUNT = 'web-sort-again';
const PASSWORD = 'sort-again-pw-8812';
// Yesterday: within retention, which the start-up run of mtm serve applies.
const DAY = addDays(dayIn(validateConfig({}).snapshot.timezone), -1);

let dir: string;
let serve: ChildProcess | undefined;

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const closed = new Promise((resolve) => serve!.on('close', resolve));
    serve.kill('SIGTERM');
    await closed;
  }
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a day snapshotted again is sorted anew, not from the order remembered for its earlier content', async () => {
  addUser(testbedFromEnv(), ACCOUNT, PASSWORD);
  const live = await liveClient(ACCOUNT);
  const sizes = [3000, 9000, 5000];
  await appendAll(live, 'INBOX', sizes.map((size, i) => generateMessage(i, 31, { minBytes: size, maxBytes: size })));
  dir = tempDir('web-sort-again');
  const httpPort = await freePort();
  const config = writeConfig(dir, [ACCOUNT], { snapshot: { schedule: '0 0 1 1 *' }, server: { port: await freePort(), allowPlaintextAuth: true }, http: { host: '127.0.0.1', port: httpPort } });
  expect((await runMtm(['snapshot', '-c', config, '--label', DAY])).code).toBe(0);

  serve = startMtm(['serve', '-c', config]);
  let log = '';
  serve.stderr!.on('data', (chunk) => (log += chunk));
  // Listening, and the start-up snapshot of today is over (it would hold the account's capture).
  for (let i = 0; i < 600 && !/snapshot run finished/.test(log); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(log).toMatch(/snapshot run finished/);

  const headers = { authorization: `Basic ${Buffer.from(`${ACCOUNT}:${PASSWORD}`).toString('base64')}` };
  const sorted = async () => {
    const reply = await fetch(`http://127.0.0.1:${httpPort}/api/v1/accounts/${ACCOUNT}/days/${DAY}/folders/INBOX/messages?sort=size&order=asc`, { headers });
    expect({ status: reply.status, body: reply.status === 200 ? '' : await reply.text() }).toEqual({ status: 200, body: '' });
    const body = (await reply.json()) as { total: number; messages: { uid: number; size: number }[] };
    return { total: body.total, uids: body.messages.map((message) => message.uid), sizes: body.messages.map((message) => message.size) };
  };
  const before = await sorted();
  expect(before.total).toBe(3);
  expect(before.sizes).toEqual([...before.sizes].sort((x, y) => x - y));

  // The smallest message of all arrives, and the same day is snapshotted again by another process.
  await appendAll(live, 'INBOX', [generateMessage(9, 31, { minBytes: 1600, maxBytes: 1600 })]);
  await live.logout();
  expect((await runMtm(['snapshot', '-c', config, '--label', DAY])).code).toBe(0);

  const after = await sorted();
  expect(after.total).toBe(4);
  expect(after.sizes).toEqual([...after.sizes].sort((x, y) => x - y));
  expect(after.uids.slice(1)).toEqual(before.uids);
}, 120_000);
