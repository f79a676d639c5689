/**
 * Issue 14: `mtm store migrate --to <config>` copies an embedded store into PostgreSQL + S3 and
 * back (real mtm processes, real PostgreSQL and s3rver). Killed with SIGKILL half-way, the next run
 * completes the copy; then `mtm verify` is clean on the target and `mtm list --json` answers the
 * same, day by day, folder by folder, message by message, as the source; restore records come
 * along. A target holding other data is refused and left as it was.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { loadConfig, validateConfig } from '../../src/config/load.js';
import { addDays, dayIn } from '../../src/snapshots/day-label.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { listRows } from '../../src/cli/commands/list.js';
import type { RestoreJob } from '../../src/recovery/jobs.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/postgres.js';
import { createTestBucket, type TestBucket } from '../fixtures/s3.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { deleteUids, liveEntries } from '../recovery/helpers.js';

const ACCOUNTS = ['migrate-ada', 'migrate-bo', 'migrate-cy'];
// Within retention (a restore is refused for a day outside it), and a fourth for the refusal test.
const TODAY = dayIn(validateConfig({}).snapshot.timezone);
const DAYS = [-6, -5, -4].map((offset) => addDays(TODAY, offset));
const EXTRA_DAY = addDays(TODAY, -3);

let root: string;
let database: TestDatabase;
let bucket: TestBucket;

beforeAll(async () => {
  root = tempDir('store-migrate');
  database = await createTestDatabase();
  bucket = await createTestBucket('s3rver', 'migrated');
}, 60_000);

afterAll(async () => {
  await bucket?.remove().catch(() => undefined);
  await database?.drop();
  if (root) rmSync(root, { recursive: true, force: true });
});

/**
 * The whole of what `mtm list --json` tells about the accounts: days, their folders, their messages
 * — through the command's own listRows, in this process (a process per listing was ~40 CLI starts
 * per store, most of this test's time); `listsLikeTheCli` checks that it is what the CLI prints.
 */
async function listing(config: string): Promise<unknown> {
  const store = await openStore(loadConfig(config).store, 'read');
  try {
    const out: Record<string, unknown> = {};
    for (const account of ACCOUNTS) {
      const days = (await listRows(store.catalog, account)) as { day: string }[];
      const perDay: unknown[] = [];
      for (const { day } of days) {
        const folders = (await listRows(store.catalog, account, day)) as { name: string }[];
        const messages: Record<string, unknown> = {};
        for (const { name } of folders) messages[name] = await listRows(store.catalog, account, day, name);
        perDay.push({ days, folders, messages });
      }
      out[account] = { days, perDay };
    }
    return JSON.parse(JSON.stringify(out));
  } finally {
    await store.close();
  }
}

/** One account's days, a day's folders and a folder's messages as the CLI prints them, against listing(). */
async function listsLikeTheCli(config: string, whole: unknown): Promise<void> {
  const account = ACCOUNTS[0];
  const { days, perDay } = (whole as Record<string, { days: { day: string }[]; perDay: { folders: { name: string }[]; messages: Record<string, unknown> }[] }>)[account];
  expect(await mtmJson(['list', '-c', config, '--account', account])).toEqual(days);
  const last = days.length - 1;
  expect(await mtmJson(['list', '-c', config, '--account', account, '--day', days[last].day])).toEqual(perDay[last].folders);
  const folder = perDay[last].folders[0].name;
  expect(await mtmJson(['list', '-c', config, '--account', account, '--day', days[last].day, '--folder', folder])).toEqual(perDay[last].messages[folder]);
}

async function restoreRecords(config: string): Promise<RestoreJob[]> {
  const store = await openStore(loadConfig(config).store, 'read');
  try {
    return (await Promise.all(ACCOUNTS.map((account) => store.jobs.list(account, 1000)))).flat();
  } finally {
    await store.close();
  }
}

async function verifyClean(config: string): Promise<void> {
  const verify = await runMtm(['verify', '-c', config]);
  expect({ code: verify.code, damaged: verify.stdout.split('\n').filter((line) => line.startsWith('✗')) }).toEqual({ code: 0, damaged: [] });
  for (const account of ACCOUNTS) expect(verify.stdout).toMatch(new RegExp(`✓ ${account}: [1-9]\\d* blobs checked, 0 damaged`));
}

test('embedded → PostgreSQL + S3 (interrupted, then completed) → embedded: verify clean, the same listing, the same restore records', async () => {
  const testbed = testbedFromEnv();
  const dirs = ['source', 'remote', 'back'].map((name) => join(root, name));
  for (const dir of dirs) mkdirSync(dir);
  const quiet = { log: { level: 'warn' } };
  const source = writeConfig(dirs[0], ACCOUNTS, { ...quiet, snapshot: { concurrency: 3 } });
  const remote = writeConfig(dirs[1], ACCOUNTS, { ...quiet, store: { path: join(dirs[1], 'scratch'), postgres: { url: database.url }, s3: { ...bucket.settings } } });
  const back = writeConfig(dirs[2], ACCOUNTS, quiet);

  // Three days of changing mailboxes: messages come and go, flags change, a folder appears.
  for (const [index, account] of ACCOUNTS.entries()) {
    addUser(testbed, account, `${account}-pw`);
    const live = await liveClient(account);
    await appendAll(live, 'INBOX', Array.from({ length: 25 }, (_, i) => generateMessage(i, 40 + index, { minBytes: 1500, maxBytes: 60_000 })), (i) => (i % 4 === 0 ? ['\\Seen'] : []));
    await appendAll(live, 'Archive/2025', Array.from({ length: 8 }, (_, i) => generateMessage(100 + i, 40 + index)));
    await live.logout();
  }
  for (const [n, day] of DAYS.entries()) {
    if (n > 0) {
      for (const [index, account] of ACCOUNTS.entries()) {
        const live = await liveClient(account);
        const inbox = await liveEntries(live, 'INBOX');
        await deleteUids(live, 'INBOX', [inbox[n].uid]);
        await live.mailboxOpen('INBOX');
        await live.messageFlagsAdd(`${inbox[n + 5].uid}`, ['\\Flagged'], { uid: true });
        await live.mailboxClose();
        await appendAll(live, n === 2 ? 'Projects' : 'INBOX', [generateMessage(200 + n, 40 + index)]);
        await live.logout();
      }
    }
    const snapshot = await runMtm(['snapshot', '-c', source, '--label', day]);
    expect({ code: snapshot.code, stderr: snapshot.stderr }).toEqual({ code: 0, stderr: '' });
  }
  // A restore record (done) in the source.
  const live = await liveClient(ACCOUNTS[1]);
  await deleteUids(live, 'INBOX', [(await liveEntries(live, 'INBOX'))[0].uid]);
  await live.logout();
  const restored = await runMtm(['restore', '-c', source, '--account', ACCOUNTS[1], '--day', DAYS[2], '--folder', 'INBOX']);
  expect({ code: restored.code, stderr: restored.stderr }).toEqual({ code: 0, stderr: '' });
  expect(restored.stdout).toMatch(/^restore done: 1 restored/m);
  const records = await restoreRecords(source);
  expect(records.map((job) => job.status)).toEqual(['done']);
  const sourceListing = await listing(source);
  await listsLikeTheCli(source, sourceListing);

  // Killed half-way: once the first day is in.
  const first = startMtm(['store', 'migrate', '-c', source, '--to', remote]);
  let firstOut = '';
  first.stdout!.on('data', (chunk) => {
    firstOut += chunk;
    if (/^✓ /m.test(firstOut)) first.kill('SIGKILL');
  });
  first.stderr!.resume();
  await new Promise((resolve) => first.on('close', resolve));
  expect(first.signalCode).toBe('SIGKILL');
  expect(firstOut).not.toMatch(/accounts: \d+ days copied/);

  const second = await runMtm(['store', 'migrate', '-c', source, '--to', remote]);
  expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
  const [, copiedDays, presentDays] = /3 accounts: (\d+) days copied, (\d+) already there; .* 1 restore records copied, 0 already there/.exec(second.stdout) ?? [];
  expect(Number(presentDays)).toBeGreaterThanOrEqual(1);
  expect(Number(copiedDays) + Number(presentDays)).toBe(9);
  expect(second.stdout.match(/^= \S+ \S+: already in the target$/gm)).toHaveLength(Number(presentDays));
  await verifyClean(remote);
  expect(await listing(remote)).toEqual(sourceListing);
  await listsLikeTheCli(remote, sourceListing);
  expect(await restoreRecords(remote)).toEqual(records);

  // Run again: nothing left to copy.
  const again = await runMtm(['store', 'migrate', '-c', source, '--to', remote]);
  expect(again.stdout).toMatch(/3 accounts: 0 days copied, 9 already there; 0 blobs copied \(0 B\), 0 already there; 0 restore records copied, 1 already there/);

  // And back into a new embedded store.
  const home = await runMtm(['store', 'migrate', '-c', remote, '--to', back]);
  expect({ code: home.code, stderr: home.stderr }).toEqual({ code: 0, stderr: '' });
  await verifyClean(back);
  expect(await listing(back)).toEqual(sourceListing);
  expect(await restoreRecords(back)).toEqual(records);

  // A target with a day the source lacks is another store's: refused, nothing written.
  const extra = await runMtm(['snapshot', '-c', back, '--label', EXTRA_DAY, '--account', ACCOUNTS[2]]);
  expect(extra.code).toBe(0);
  const backListing = await listing(back);
  const refused = await runMtm(['store', 'migrate', '-c', source, '--to', back]);
  expect(refused.code).toBe(1);
  expect(refused.stderr).toBe(`mtm: the target store already holds ${ACCOUNTS[2]} ${EXTRA_DAY}, which the source does not: it is not a copy of this store (use an empty target)\n`);
  expect(await listing(back)).toEqual(backListing);
  const itself = await runMtm(['store', 'migrate', '-c', source, '--to', source]);
  expect(itself.code).toBe(1);
  expect(itself.stderr).toMatch(/^mtm: the target store is the source store/);
}, 600_000);
