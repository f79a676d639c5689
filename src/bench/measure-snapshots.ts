/**
 * Snapshot-side measurements: the initial snapshot beside mbsync pulling the same account, the
 * no-change snapshot beside the initial one (wall time, commands, bytes — counted on the wire by a
 * relay), and the store's size after 15 daily snapshots with churn beside the raw Maildir.
 */
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../config/load.js';
import { silentLogger } from '../log.js';
import { addDays, type DayLabel } from '../snapshots/day-label.js';
import { runSnapshots } from '../snapshots/snapshotter/run.js';
import { openStore, type StoreSettings } from '../snapshots/store/store.js';
import type { DovecotTestbed } from '../testbed/dovecot.js';
import { BENCH_PASSWORD, BENCH_USER, churnDay, maildirBytes } from './account.js';
import type { CountingProxy, WireCounts } from './counting-proxy.js';
import { runMbsync } from './peers.js';
import { msSince } from './stats.js';

export const FIRST_DAY: DayLabel = '2030-01-01';

export interface SnapshotRun {
  seconds: number;
  messages: number;
  bytes: number;
  wire: WireCounts;
}

export interface MbsyncRun {
  seconds: number;
  wire: WireCounts;
}

/** One snapshot of the bench account through the counting relay, in this process; `remote`: PostgreSQL and S3 settings. */
export async function snapshotThroughProxy(storePath: string, day: DayLabel, proxy: CountingProxy, remote: Partial<StoreSettings> = {}): Promise<SnapshotRun> {
  const config = validateConfig({ upstream: { host: '127.0.0.1', port: proxy.port, tls: 'none' }, store: { path: storePath, ...remote }, log: { level: 'silent' } });
  const store = await openStore(config.store);
  try {
    proxy.reset();
    const started = process.hrtime.bigint();
    const [outcome] = await runSnapshots({
      config,
      store,
      day,
      logger: silentLogger,
      accounts: [{ user: BENCH_USER, credentials: { mode: 'password', password: BENCH_PASSWORD } }],
    });
    const seconds = msSince(started) / 1000;
    if (!outcome?.ok) throw new Error(`snapshot of ${day} failed: ${outcome ? (outcome as { error: string }).error : 'no outcome'}`);
    return { seconds, messages: outcome.result.messages, bytes: outcome.result.bytes, wire: proxy.counts() };
  } finally {
    await store.close();
  }
}

export async function mbsyncThroughProxy(dir: string, proxy: CountingProxy): Promise<MbsyncRun> {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  proxy.reset();
  const seconds = await runMbsync({ dir, host: '127.0.0.1', port: proxy.port, user: BENCH_USER, password: BENCH_PASSWORD });
  const wire = proxy.counts();
  rmSync(dir, { recursive: true, force: true });
  return { seconds, wire };
}

/** Apparent size of every file under a directory (the store: blobs + catalog). */
export function directoryBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? directoryBytes(path) : statSync(path).size;
  }
  return total;
}

export interface StorageResult {
  days: number;
  storeBytes: number;
  maildirBytes: number;
  ratio: number;
  churn: Array<{ day: DayLabel; added: number; deleted: number; reflagged: number; snapshotSeconds: number; storeBytes: number }>;
}

/**
 * Continues a store that already holds FIRST_DAY with `days - 1` more days, each after a day of
 * churn on the live account. Changes the live account: run it after the serving measurements.
 */
export async function measureStorage(
  testbed: DovecotTestbed,
  storePath: string,
  totalMessages: number,
  days: number,
  proxy: CountingProxy,
  log: (line: string) => void,
): Promise<StorageResult> {
  const churn: StorageResult['churn'] = [];
  for (let index = 1; index < days; index++) {
    const day = addDays(FIRST_DAY, index);
    const changes = await churnDay(testbed, totalMessages, index);
    const run = await snapshotThroughProxy(storePath, day, proxy);
    const storeBytes = directoryBytes(storePath);
    churn.push({ day, ...changes, snapshotSeconds: run.seconds, storeBytes });
    log(`  day ${index + 1}/${days}: +${changes.added} −${changes.deleted} ~${changes.reflagged}, snapshot ${run.seconds.toFixed(1)} s, store ${(storeBytes / 1e6).toFixed(1)} MB`);
  }
  const storeBytes = directoryBytes(storePath);
  const raw = maildirBytes(testbed);
  return { days, storeBytes, maildirBytes: raw, ratio: storeBytes / raw, churn };
}
