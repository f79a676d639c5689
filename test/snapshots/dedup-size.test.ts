/**
 * Issue 2 acceptance: fifteen days of an unchanged 1,000-message account cost hardly more than one
 * day, because blobs are shared and catalog rows are versioned, not copied per day.
 */
import { promises as fs, rmSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addDays } from '../../src/snapshots/day-label.js';
import { liveClient, mtmJson, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ACCOUNT = 'dedup-size-carol';
const FIRST_DAY = '2026-10-01';
const DAYS = 15;
const MESSAGES = 1000;

interface DayJson { day: string; folders: number; messages: number; bytes: number }

/** Every file under the store (catalog with any WAL, blobs), in bytes. */
async function storeBytes(path: string): Promise<number> {
  let total = 0;
  for (const entry of await fs.readdir(path, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await fs.stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

let dir: string;
let config: string;

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'carol-pw-1');
  const [inbox, archive] = [await liveClient(ACCOUNT), await liveClient(ACCOUNT)];
  try {
    const messages = Array.from({ length: MESSAGES }, (_, i) => generateMessage(i, 31, { minBytes: 1500, maxBytes: 9000 }));
    await Promise.all([
      appendAll(inbox, 'INBOX', messages.slice(0, 700), (i) => (i % 3 === 0 ? ['\\Seen'] : [])),
      appendAll(archive, 'Archive', messages.slice(700), () => ['\\Seen']),
    ]);
  } finally {
    await inbox.logout();
    await archive.logout();
  }
  dir = tempDir('dedup');
  config = writeConfig(dir, [ACCOUNT]);
}, 120000);

test('15 days of an unchanged 1,000-message account take < 1.2x the store bytes of one day', async () => {
  const store = join(dir, 'store');
  const first = await runMtm(['snapshot', '-c', config, '--label', FIRST_DAY]);
  expect(first.code).toBe(0);
  const oneDay = await storeBytes(store);
  // The blobs alone must be real: roughly a compressed copy of 1,000 messages.
  expect(oneDay).toBeGreaterThan(MESSAGES * 500);

  for (let i = 1; i < DAYS; i++) {
    const run = await runMtm(['snapshot', '-c', config, '--label', addDays(FIRST_DAY, i)]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('downloaded 0 (');
  }
  const fifteenDays = await storeBytes(store);

  const days = await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT]);
  expect(days.map((d) => d.day)).toEqual(Array.from({ length: DAYS }, (_, i) => addDays(FIRST_DAY, i)));
  for (const day of days) expect(day.messages).toBe(MESSAGES);
  for (const day of days) expect(day.folders).toBe(2);

  expect(fifteenDays).toBeLessThan(1.2 * oneDay);
}, 300000);
