/**
 * Issue 2 acceptance: a snapshot killed with SIGKILL mid-run leaves no visible partial day, the
 * earlier day intact, and the next run completes the day. Issue 10: the next run fetches only
 * the bodies the killed one had not stored (even mid-folder) and removes its temporary files.
 */
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { accountDirectoryName } from '../../src/snapshots/store/embedded/file-blob-store.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { freezeOutsideWrite } from './freeze-snapshot.js';

const ACCOUNT = 'crash-frank';
const DAY1 = '2026-08-01';
const DAY2 = '2026-08-02';
const SMALL = 30;
const LARGE = 1500;

interface DayJson { day: string; folders: number; messages: number }

let dir: string;
let config: string;
let blobRoot: string;

function blobFiles(pattern = /^[0-9a-f]{64}$/): number {
  let count = 0;
  let prefixes: string[];
  try {
    prefixes = readdirSync(blobRoot);
  } catch {
    return 0;
  }
  for (const prefix of prefixes) {
    try {
      count += readdirSync(join(blobRoot, prefix)).filter((name) => pattern.test(name)).length;
    } catch {
      // a directory being created right now
    }
  }
  return count;
}

async function liveCount(): Promise<number> {
  const live = await liveClient(ACCOUNT);
  try {
    let total = 0;
    for (const entry of await live.list()) {
      if (entry.flags.has('\\Noselect')) continue;
      const status = await live.status(entry.path, { messages: true });
      if (!status) throw new Error(`no STATUS for ${entry.path}`);
      total += status.messages ?? 0;
    }
    return total;
  } finally {
    await live.logout();
  }
}

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'frank-pw-1');
  dir = tempDir('crash');
  config = writeConfig(dir, [ACCOUNT], { snapshot: { fetchBatchSize: 20 } });
  blobRoot = join(dir, 'store', 'blobs', accountDirectoryName(ACCOUNT));
  const live = await liveClient(ACCOUNT);
  try {
    await appendAll(live, 'INBOX', Array.from({ length: SMALL }, (_, i) => generateMessage(i, 51)));
    const day1 = await runMtm(['snapshot', '-c', config, '--label', DAY1]);
    expect(day1.code).toBe(0);
    // Then a lot of mail arrives: downloading it takes long enough to be killed in the middle.
    const big = (i: number) => generateMessage(SMALL + i, 51, { minBytes: 20_000, maxBytes: 60_000 });
    const second = await liveClient(ACCOUNT);
    try {
      await Promise.all([
        appendAll(live, 'INBOX', Array.from({ length: 1000 }, (_, i) => big(i))),
        appendAll(second, 'Projects', Array.from({ length: LARGE - 1000 }, (_, i) => big(1000 + i))),
      ]);
    } finally {
      await second.logout();
    }
  } finally {
    await live.logout();
  }
}, 240000);

test('SIGKILL mid-run: no partial day, the earlier day verifies, and the next run completes the day', async () => {
  const before = blobFiles();
  expect(before).toBe(SMALL);

  const child = startMtm(['snapshot', '-c', config, '--label', DAY2]);
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) => child.on('close', (code, signal) => done({ code, signal })));
  let exitedEarly = false;
  void exited.then(() => (exitedEarly = true));
  // Kill it once some of the new bodies are on disk, well before all of them are.
  while (!exitedEarly && blobFiles() < before + 60) await new Promise((r) => setTimeout(r, 10));
  child.kill('SIGKILL');
  const end = await exited;
  expect({ signal: end.signal, output: end.signal ? '' : output }).toEqual({ signal: 'SIGKILL', output: '' });
  const written = blobFiles();
  expect(written).toBeGreaterThan(before);
  expect(written).toBeLessThan(before + LARGE);
  // Killed in the middle of the first folder it downloads (INBOX 1,000 new messages, Projects 500).
  expect(written - before).toBeLessThan(LARGE - 1000);
  // A writer killed mid-put leaves a temporary; make sure there is one whatever the kill hit.
  const prefix = readdirSync(blobRoot).find((name) => /^[0-9a-f]{2}$/.test(name))!;
  writeFileSync(join(blobRoot, prefix, `.${prefix}${'0'.repeat(62)}.999999.dead1.tmp`), 'half a blob');
  expect(blobFiles(/\.tmp$/)).toBeGreaterThan(0);

  // No partial day is visible; the earlier day is whole.
  const days = await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT]);
  expect(days.map((d) => d.day)).toEqual([DAY1]);
  expect(days[0].messages).toBe(SMALL);
  const inbox = await mtmJson<unknown[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1, '--folder', 'INBOX']);
  expect(inbox).toHaveLength(SMALL);
  const notThere = await runMtm(['list', '-c', config, '--account', ACCOUNT, '--day', DAY2]);
  expect(notThere.code).not.toBe(0);
  expect(notThere.stderr).toContain(`no snapshot of ${ACCOUNT} for ${DAY2}`);
  const verify = await runMtm(['verify', '-c', config, '--account', ACCOUNT]);
  expect(verify.stdout).toContain(`${ACCOUNT}: ${SMALL} blobs checked, 0 damaged`);
  expect(verify.code).toBe(0);

  // The next run completes the day, even when a prune runs in its middle: it reuses what the
  // killed run fetched, and garbage collection must not take those blobs from under it.
  const rerun = startMtm(['snapshot', '-c', config, '--label', DAY2]);
  let rerunOutput = '';
  rerun.stdout!.on('data', (chunk) => (rerunOutput += chunk));
  rerun.stderr!.on('data', (chunk) => (rerunOutput += chunk));
  const rerunExit = new Promise<number | null>((done) => rerun.on('close', (code) => done(code)));
  let rerunDone = false;
  void rerunExit.then(() => (rerunDone = true));
  while (!rerunDone && blobFiles() < written + 20) await new Promise((r) => setTimeout(r, 5));
  await freezeOutsideWrite(rerun, join(dir, 'store'));
  expect(rerunDone).toBe(false);
  const prune = await runMtm(['prune', '-c', config, '--today', DAY2]);
  rerun.kill('SIGCONT');
  expect({ code: prune.code, stderr: prune.stderr }).toEqual({ code: 0, stderr: '' });
  // The output in the comparison, so a failure shows why.
  expect({ code: await rerunExit, output: rerunOutput }).toEqual({ code: 0, output: expect.any(String) });
  expect(rerunOutput).not.toMatch(/another snapshot .* is running/);
  expect(rerunOutput).toContain(`1 of 1 accounts snapshotted for ${DAY2}`);
  // Every body the killed run had stored is reused: only the rest crosses the network again.
  expect(rerunOutput).toMatch(new RegExp(`✓ ${ACCOUNT} ${DAY2}: .*; downloaded ${LARGE - (written - before)} \\(`));
  expect(blobFiles(/\.tmp$/)).toBe(0);
  const expected = await liveCount();
  expect(expected).toBe(SMALL + LARGE);
  const after = await mtmJson<DayJson[]>(['list', '-c', config, '--account', ACCOUNT]);
  expect(after.map((d) => d.day)).toEqual([DAY1, DAY2]);
  expect(after[1].messages).toBe(expected);
  expect(after[0].messages).toBe(SMALL);
  expect(blobFiles()).toBe(SMALL + LARGE);
  const finalVerify = await runMtm(['verify', '-c', config]);
  expect(finalVerify.stdout).toContain(`${ACCOUNT}: ${SMALL + LARGE} blobs checked, 0 damaged`);
  expect(finalVerify.code).toBe(0);
}, 300000);
