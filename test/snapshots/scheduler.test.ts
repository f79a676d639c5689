/**
 * Issue 2 acceptance: `mtm serve` takes today's snapshot (today in snapshot.timezone) at start-up
 * when it is missing, and stops cleanly on SIGTERM.
 */
import { rmSync } from 'node:fs';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { dayIn } from '../../src/snapshots/day-label.js';
import { liveClient, mtmJson, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ACCOUNT = 'scheduler-ivy';
const MESSAGES = 8;

interface DayJson { day: string; folders: number; messages: number }

/** A zone whose calendar day differs from UTC's right now, so using the wrong zone would show. */
function zoneAwayFromUtc(now = new Date()): string {
  return dayIn('Pacific/Kiritimati', now) !== dayIn('UTC', now) ? 'Pacific/Kiritimati' : 'Etc/GMT+12';
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'ivy-pw-1');
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', Array.from({ length: MESSAGES }, (_, i) => generateMessage(i, 71)));
  await live.logout();
});

test('serve snapshots today (in the configured zone) at start-up when missing, and SIGTERM exits 0', async () => {
  const timezone = zoneAwayFromUtc();
  const today = dayIn(timezone);
  expect(today).not.toBe(dayIn('UTC'));
  const dir = tempDir('scheduler');
  const config = writeConfig(dir, [ACCOUNT], {
    snapshot: { timezone, schedule: '0 0 * * *' },
    server: { host: '127.0.0.1', port: await freePort() },
    http: { host: '127.0.0.1', port: await freePort() },
  });
  expect(await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT])).toEqual([]);

  const serve = startMtm(['serve', '-c', config]);
  let output = '';
  serve.stdout!.on('data', (chunk) => (output += chunk));
  serve.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => serve.on('close', (code, signal) => done({ code, signal })));
  let running = true;
  void exited.then(() => (running = false));
  try {
    let days: DayJson[] = [];
    const deadline = Date.now() + 90_000;
    while (running && days.length === 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      days = await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT]);
    }
    expect({ running, output: running ? '' : output }).toEqual({ running: true, output: '' });
    // The zone's day (it may have turned over while we waited), never UTC's.
    expect([today, dayIn(timezone)]).toContain(days.map((d) => d.day).join(','));
    expect(days[0].messages).toBe(MESSAGES);
  } finally {
    serve.kill('SIGTERM');
  }
  const end = await exited;
  expect({ code: end.code, signal: end.signal }).toEqual({ code: 0, signal: null });
  expect(output).not.toContain(testbedFromEnv().masterPassword);
  rmSync(dir, { recursive: true, force: true });
}, 150000);
