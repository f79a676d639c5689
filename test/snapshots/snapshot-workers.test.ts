/**
 * Issue 13, "all cores": `snapshot.workers` splits a run's accounts across worker processes. The
 * catalog they write is the one a run in one process writes; a worker killed mid-run fails only
 * the accounts it had in flight (no partial day), the next run completes them; one account's
 * failure stops no other.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const SMALL_ACCOUNTS = ['workers-ann', 'workers-bo', 'workers-cy', 'workers-di'];
const BIG_ACCOUNTS = ['workers-eve', 'workers-fin', 'workers-gus', 'workers-hal'];
const BIG_MESSAGES = 250;
const DAY = '2026-09-01';

interface DayJson { day: string; folders: number; messages: number; bytes: number }
interface FolderJson { name: string; messages: number }

let root: string;

/** Everything `mtm list` shows of an account: its days, each day's folders, each folder's messages. */
async function listing(config: string, account: string): Promise<unknown> {
  const days = await mtmJson<DayJson[]>(['list', '-c', config, '--account', account]);
  const seen: unknown[] = [];
  for (const { day } of days) {
    const folders = await mtmJson<FolderJson[]>(['list', '-c', config, '--account', account, '--day', day]);
    for (const folder of folders) {
      seen.push({ day, folder, messages: await mtmJson<unknown[]>(['list', '-c', config, '--account', account, '--day', day, '--folder', folder.name]) });
    }
  }
  return { days, seen };
}

/** A config in a directory of its own under the test's root. */
function configIn(name: string, accounts: string[], snapshot: Record<string, unknown>): string {
  const dir = join(root, name);
  mkdirSync(dir);
  return writeConfig(dir, accounts, { snapshot });
}

/** The pids of a process's children (the snapshot workers of an `mtm snapshot`). */
function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

beforeAll(async () => {
  root = tempDir('workers');
  const testbed = testbedFromEnv();
  for (const account of [...SMALL_ACCOUNTS, ...BIG_ACCOUNTS]) addUser(testbed, account, `${account}-pw`);
  await Promise.all(
    SMALL_ACCOUNTS.map(async (account, index) => {
      const live = await liveClient(account);
      try {
        await appendAll(live, 'INBOX', Array.from({ length: 15 + index }, (_, i) => generateMessage(i, 80 + index)), (i) => (i % 3 === 0 ? ['\\Seen'] : []));
        await appendAll(live, 'Archive/2025', Array.from({ length: 5 }, (_, i) => generateMessage(100 + i, 80 + index)));
      } finally {
        await live.logout();
      }
    }),
  );
  await Promise.all(
    BIG_ACCOUNTS.map(async (account, index) => {
      const live = await liveClient(account);
      try {
        await appendAll(live, 'INBOX', Array.from({ length: BIG_MESSAGES }, (_, i) => generateMessage(i, 90 + index, { minBytes: 20_000, maxBytes: 60_000 })));
      } finally {
        await live.logout();
      }
    }),
  );
}, 600000);

test('two workers write the same catalog as one process', async () => {
  const inProcess = configIn('one', SMALL_ACCOUNTS, { workers: 1, concurrency: 4 });
  const twoWorkers = configIn('two', SMALL_ACCOUNTS, { workers: 2, concurrency: 4 });
  const one = await runMtm(['snapshot', '-c', inProcess, '--label', DAY]);
  const two = await runMtm(['snapshot', '-c', twoWorkers, '--label', DAY]);
  expect({ code: one.code, stderr: one.stderr.includes('"level":50') }).toEqual({ code: 0, stderr: false });
  expect({ code: two.code, stderr: two.stderr.includes('"level":50') }).toEqual({ code: 0, stderr: false });
  expect(two.stdout).toContain(`${SMALL_ACCOUNTS.length} of ${SMALL_ACCOUNTS.length} accounts snapshotted for ${DAY}`);
  // The per-account summary lines, in the order of the accounts, without their timings.
  const summary = (stdout: string) => stdout.replace(/, [\d.]+ s$/gm, '');
  expect(summary(two.stdout)).toEqual(summary(one.stdout));
  for (const account of SMALL_ACCOUNTS) {
    const expected = await listing(inProcess, account);
    expect((expected as { days: DayJson[] }).days).toHaveLength(1);
    expect(await listing(twoWorkers, account)).toEqual(expected);
  }
  const verify = await runMtm(['verify', '-c', twoWorkers]);
  expect(verify.code).toBe(0);
}, 600000);

test('an account that fails stops no other account in the workers', async () => {
  const [ann, bo, cy] = SMALL_ACCOUNTS;
  const dir = join(root, 'failing');
  mkdirSync(dir);
  const accountsFile = join(dir, 'accounts.txt');
  writeFileSync(accountsFile, `${ann} ${ann}-pw\n${bo} not-${bo}s-password\n${cy} ${cy}-pw\n`);
  const config = writeConfig(dir, [], { snapshot: { accountsFile, auth: { mode: 'accounts' }, workers: 2, concurrency: 2 } });
  const run = await runMtm(['snapshot', '-c', config, '--label', DAY]);
  expect(run.code).toBe(1);
  expect(run.stdout).toMatch(new RegExp(`✗ ${bo}: FAILED — `));
  expect(run.stdout).toContain(`✓ ${ann} ${DAY}:`);
  expect(run.stdout).toContain(`✓ ${cy} ${DAY}:`);
  expect(run.stdout).toContain(`2 of 3 accounts snapshotted for ${DAY}`);
  expect(await mtmJson<DayJson[]>(['list', '-c', config, '--account', bo])).toEqual([]);
}, 120000);

test('a worker killed mid-run fails only its accounts, with no partial day; the next run completes them', async () => {
  const config = configIn('killed', BIG_ACCOUNTS, { workers: 2, concurrency: 4, fetchBatchSize: 20 });
  const blobRoot = join(root, 'killed', 'store', 'blobs');
  const child = startMtm(['snapshot', '-c', config, '--label', DAY]);
  let stdout = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', () => undefined);
  const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
  let over = false;
  void exited.then(() => (over = true));
  // Once bodies are being stored, both workers have accounts in flight (two each): kill one.
  const storing = () => {
    try {
      return readdirSync(blobRoot).length > 0;
    } catch {
      return false;
    }
  };
  let workers: number[] = [];
  while (!over && (workers.length < 2 || !storing())) {
    workers = childrenOf(child.pid!);
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(over).toBe(false);
  process.kill(workers[0], 'SIGKILL');
  expect(await exited).toBe(1);

  const failed = BIG_ACCOUNTS.filter((account) => stdout.includes(`✗ ${account}: FAILED — the snapshot worker (pid ${workers[0]}) was killed (SIGKILL)`));
  const done = BIG_ACCOUNTS.filter((account) => stdout.includes(`✓ ${account} ${DAY}:`));
  expect(failed.length).toBeGreaterThan(0);
  expect([...failed, ...done].sort()).toEqual([...BIG_ACCOUNTS].sort());
  for (const account of failed) expect(await mtmJson<DayJson[]>(['list', '-c', config, '--account', account])).toEqual([]);
  for (const account of done) expect((await mtmJson<DayJson[]>(['list', '-c', config, '--account', account])).map((d) => [d.day, d.messages])).toEqual([[DAY, BIG_MESSAGES]]);

  const rerun = await runMtm(['snapshot', '-c', config, '--label', DAY]);
  expect({ code: rerun.code, summary: rerun.stdout.includes(`${BIG_ACCOUNTS.length} of ${BIG_ACCOUNTS.length} accounts snapshotted for ${DAY}`) }).toEqual({ code: 0, summary: true });
  for (const account of BIG_ACCOUNTS) expect((await mtmJson<DayJson[]>(['list', '-c', config, '--account', account])).map((d) => [d.day, d.messages])).toEqual([[DAY, BIG_MESSAGES]]);
  const verify = await runMtm(['verify', '-c', config]);
  expect(verify.code).toBe(0);
}, 300000);
