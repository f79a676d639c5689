/**
 * A hosting provider's night: many small accounts on the bench's Dovecot, snapshotted by
 * `mtm snapshot` (the CLI, in its own process, with the config's defaults for concurrency) beside
 * mbsync pulling the same accounts, `snapshot.concurrency` mbsync processes at a time. Three nights
 * per repetition: initial (empty store, empty Maildirs), no change, and ~1 % churn. Both go through
 * the counting relay, so commands per account are counted on the wire.
 */
import { spawn } from 'node:child_process';
import { readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { validateConfig } from '../config/load.js';
import { addDays, type DayLabel } from '../snapshots/day-label.js';
import { openStore } from '../snapshots/store/store.js';
import type { DovecotTestbed } from '../testbed/dovecot.js';
import { churnDay, indexAccount, maildirUsage, providerAccount, writeMaildir, type AccountShape } from './account.js';
import type { CountingProxy } from './counting-proxy.js';
import { directoryBytes, FIRST_DAY } from './measure-snapshots.js';
import { runMbsync } from './peers.js';
import { msSince } from './stats.js';

export type Night = 'initial' | 'no-change' | 'churn';
export const NIGHTS: Night[] = ['initial', 'no-change', 'churn'];

export interface NightRun {
  night: Night;
  tool: 'ours' | 'mbsync';
  seconds: number;
  accountsPerMinute: number;
  commandsPerAccount: number;
  bytesFromServer: number;
}

export interface ProviderStorage {
  /** Messages on the server when the initial night ran. */
  messages: number;
  /** Apparent sizes: our store directory (blobs + catalog), the catalog alone, mbsync's Maildirs, the accounts' message files, Dovecot's index files. */
  storeBytes: number;
  catalogBytes: number;
  mbsyncBytes: number;
  rawBytes: number;
  dovecotIndexBytes: number;
}

export interface ProviderAccounts {
  shapes: AccountShape[];
  /** Messages per account now (churn adds and deletes). */
  counts: number[];
  messages: number;
  rawBytes: number;
  largeMessages: number;
  medianMessageBytes: number;
  writeSeconds: number;
  indexSeconds: number;
}

/** `items` through `work`, `parallel` at a time. */
async function inParallel<T>(items: T[], parallel: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(parallel, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index], index);
      }
    }),
  );
}

/**
 * Adds every account to Dovecot's passwd file in one write: the testbed's addUser waits a second
 * per user (Dovecot sees a changed file by its mtime in whole seconds), 200 s for 200 accounts.
 * Same line format as addUser.
 */
function addUsers(testbed: DovecotTestbed, shapes: AccountShape[]): void {
  const file = join(testbed.root, 'users');
  const lines = readFileSync(file, 'utf8').split('\n').filter(Boolean);
  lines.push(...shapes.map((shape) => `${shape.user}:{PLAIN}${shape.password}::::::`));
  const temporary = `${file}.bench.tmp`;
  writeFileSync(temporary, `${lines.join('\n')}\n`, { mode: 0o644 });
  const stamp = Math.floor(Date.now() / 1000) + 1;
  utimesSync(temporary, stamp, stamp);
  renameSync(temporary, file);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2100);
}

/** Writes `accounts` accounts of `perAccount` messages into Dovecot's Maildirs and lets Dovecot index them. */
export async function createProviderAccounts(testbed: DovecotTestbed, accounts: number, perAccount: number, parallel: number): Promise<ProviderAccounts> {
  const shapes = Array.from({ length: accounts }, (_, number) => providerAccount(number + 1));
  addUsers(testbed, shapes);
  const started = process.hrtime.bigint();
  const written = shapes.map((shape) => writeMaildir(testbed, perAccount, shape));
  const writeSeconds = msSince(started) / 1000;
  const indexing = process.hrtime.bigint();
  await inParallel(shapes, parallel, async (shape) => void (await indexAccount(testbed, shape)));
  const sizes = shapes.flatMap((shape) => Array.from({ length: Math.min(perAccount, 50) }, (_, index) => shape.message(index).length)).sort((a, b) => a - b);
  return {
    shapes,
    counts: shapes.map(() => perAccount),
    messages: accounts * perAccount,
    rawBytes: written.reduce((sum, account) => sum + account.rawBytes, 0),
    largeMessages: written.reduce((sum, account) => sum + account.largeMessages, 0),
    medianMessageBytes: sizes[Math.floor(sizes.length / 2)],
    writeSeconds,
    indexSeconds: msSince(indexing) / 1000,
  };
}

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'cli', 'main.js');

/** Runs the mtm CLI with `args`; returns wall seconds. */
async function mtm(args: string[]): Promise<number> {
  const started = process.hrtime.bigint();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-4000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mtm ${args[0]} exited with ${code}: ${output.trim().split('\n').slice(-3).join(' | ')}`))));
  });
  return msSince(started) / 1000;
}

/** `mtm snapshot` of every account in the config, as an operator runs it; returns wall seconds. */
function mtmSnapshot(configFile: string, day: DayLabel): Promise<number> {
  return mtm(['snapshot', '-c', configFile, '--label', day]);
}

export interface ProviderResult {
  accounts: number;
  concurrency: number;
  /** Wall seconds of `mtm help` (loading the CLI): a fixed part of every night's `mtm snapshot`. */
  cliStartSeconds: number;
  runs: NightRun[];
  storage: ProviderStorage[];
  churn: Array<{ repetition: number; added: number; deleted: number; reflagged: number }>;
}

/**
 * `repetitions` × three nights. Each repetition starts from an empty store and empty mbsync
 * Maildirs; which tool goes first alternates between repetitions. Changes the accounts (churn).
 */
export async function measureProviderNights(options: {
  testbed: DovecotTestbed;
  provider: ProviderAccounts;
  proxy: CountingProxy;
  work: string;
  repetitions: number;
  churnShare: number;
  log: (line: string) => void;
}): Promise<ProviderResult> {
  const { testbed, provider, proxy, work, log } = options;
  const { shapes } = provider;
  const accountsFile = join(work, 'provider-accounts');
  // accounts mode: mbsync logs in with the same per-account passwords.
  writeFileSync(accountsFile, shapes.map((shape) => `${shape.user} ${shape.password}\n`).join(''), { mode: 0o600 });
  const settings = (storePath: string) => ({
    upstream: { host: '127.0.0.1', port: proxy.port, tls: 'none' },
    snapshot: { accountsFile, auth: { mode: 'accounts' } },
    store: { path: storePath },
    log: { level: 'error' },
  });
  const concurrency = validateConfig(settings(join(work, 'unused'))).snapshot.concurrency;
  const runs: NightRun[] = [];
  const storage: ProviderStorage[] = [];
  const churn: ProviderResult['churn'] = [];

  for (let repetition = 0; repetition < options.repetitions; repetition++) {
    const storePath = join(work, `provider-store-${repetition}`);
    const configFile = join(work, `provider-config-${repetition}.json`);
    writeFileSync(configFile, JSON.stringify(settings(storePath)), { mode: 0o600 });
    const mbsyncRoot = join(work, `provider-mbsync-${repetition}`);
    // Far from the bench account's days; each repetition its own three days.
    const firstDay = addDays(FIRST_DAY, 1000 + repetition * 10);

    const ours = async (night: Night, day: DayLabel) => {
      proxy.reset();
      const seconds = await mtmSnapshot(configFile, day);
      return record(night, 'ours', seconds);
    };
    const mbsync = async (night: Night) => {
      proxy.reset();
      const started = process.hrtime.bigint();
      await inParallel(shapes, concurrency, async (shape) => {
        await runMbsync({ dir: join(mbsyncRoot, shape.user), host: '127.0.0.1', port: proxy.port, user: shape.user, password: shape.password });
      });
      return record(night, 'mbsync', msSince(started) / 1000);
    };
    const record = (night: Night, tool: NightRun['tool'], seconds: number): NightRun => {
      const wire = proxy.counts();
      const run = { night, tool, seconds, accountsPerMinute: shapes.length / (seconds / 60), commandsPerAccount: wire.commands / shapes.length, bytesFromServer: wire.bytesFromServer };
      runs.push(run);
      log(`  provider ${night} night, ${tool}: ${seconds.toFixed(1)} s, ${run.accountsPerMinute.toFixed(0)} accounts/min, ${run.commandsPerAccount.toFixed(1)} commands/account`);
      return run;
    };
    const night = async (which: Night, day: DayLabel) => {
      if (repetition % 2 === 0) {
        await mbsync(which);
        await ours(which, day);
      } else {
        await ours(which, day);
        await mbsync(which);
      }
    };

    await night('initial', firstDay);
    storage.push(await measureStorage(testbed, provider, storePath, mbsyncRoot));
    await night('no-change', addDays(firstDay, 1));
    const changes = { repetition, added: 0, deleted: 0, reflagged: 0 };
    await inParallel(shapes, concurrency, async (shape, index) => {
      const change = await churnDay(testbed, provider.counts[index], 100 + repetition, options.churnShare, shape);
      provider.counts[index] += change.added - change.deleted;
      changes.added += change.added;
      changes.deleted += change.deleted;
      changes.reflagged += change.reflagged;
    });
    churn.push(changes);
    log(`  provider churn: +${changes.added} −${changes.deleted} ~${changes.reflagged} over ${shapes.length} accounts`);
    await night('churn', addDays(firstDay, 2));
    rmSync(storePath, { recursive: true, force: true });
    rmSync(mbsyncRoot, { recursive: true, force: true });
  }
  const cliStartSeconds = await mtm(['help']);
  return { accounts: shapes.length, concurrency, cliStartSeconds, runs, storage, churn };
}

/** Sizes right after the initial night: one night's copy of every account, ours beside mbsync's. */
async function measureStorage(testbed: DovecotTestbed, provider: ProviderAccounts, storePath: string, mbsyncRoot: string): Promise<ProviderStorage> {
  const store = await openStore({ path: storePath }, 'read');
  let catalogBytes: number;
  try {
    catalogBytes = (await store.sizes()).catalogBytes;
  } finally {
    await store.close();
  }
  let rawBytes = 0;
  let dovecotIndexBytes = 0;
  for (const shape of provider.shapes) {
    const usage = maildirUsage(testbed, shape.user);
    rawBytes += usage.messages;
    dovecotIndexBytes += usage.indexes;
  }
  return {
    messages: provider.counts.reduce((sum, count) => sum + count, 0),
    storeBytes: directoryBytes(storePath),
    catalogBytes,
    mbsyncBytes: directoryBytes(mbsyncRoot),
    rawBytes,
    dovecotIndexBytes,
  };
}
