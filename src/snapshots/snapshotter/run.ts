/**
 * A snapshot run over many accounts, `snapshot.concurrency` at a time; one failure stops no other.
 * With `claims` (several instances sharing Redis), an account another instance holds or has
 * finished for the day is left out, so each account is snapshotted once per day in all.
 * With `snapshot.workers` other than 1, the snapshots themselves run in worker processes
 * (worker-pool.ts); claims, outcomes, logs and metrics stay here.
 */
import type { Logger } from 'pino';
import type { SnapshotSettings, UpstreamSettings } from '../../config/settings.js';
import type { SnapshotClaims } from '../../coordination/snapshot-claims.js';
import type { DayLabel } from '../day-label.js';
import type { Store, StoreObserver, StoreSettings } from '../store/store.js';
import { snapshotAccount, type AccountSnapshotResult } from './account-snapshot.js';
import { SnapshotWorkerPool, snapshotWorkerCount, snapshotWorkersAvailable } from './worker-pool.js';
import type { SnapshotAccount } from '../../upstream/index.js';

export type AccountOutcome = { ok: true; result: AccountSnapshotResult; seconds: number } | { ok: false; account: string; error: string; seconds: number };

/**
 * The settings a run reads: where the live server is, how many accounts at once, batch size; and
 * for worker processes (`snapshot.workers`, 1 when absent), the store settings they open it from.
 */
export interface RunSettings {
  upstream: UpstreamSettings;
  snapshot: Pick<SnapshotSettings, 'concurrency' | 'fetchBatchSize'> & Partial<Pick<SnapshotSettings, 'workers'>>;
  store?: StoreSettings;
}

/** A whole run, once it is over (metrics). */
export interface SnapshotRunSummary {
  seconds: number;
  accounts: number;
  failed: number;
  messages: number;
  bytes: number;
}

/**
 * What a run reports as it goes, for whoever watches (Prometheus in `mtm serve`): given, not
 * imported, so this module depends on no metrics registry.
 */
export interface SnapshotObserver {
  snapshotAccount(outcome: AccountOutcome): void;
  snapshotRun(run: SnapshotRunSummary): void;
}

export interface RunOptions {
  config: RunSettings;
  store: Store;
  accounts: SnapshotAccount[];
  day: DayLabel;
  logger: Logger;
  /** Coordination between instances; absent: every account is snapshotted here. */
  claims?: SnapshotClaims;
  onProgress?: (event: { account: string; folder: string; done: number; total: number }) => void;
  onAccountDone?: (outcome: AccountOutcome) => void;
  /** An account left to another instance (only with `claims`). */
  onAccountSkipped?: (account: string) => void;
  /** Told of every account and of the run (metrics); nothing by default. */
  observer?: SnapshotObserver;
  /** Told of the worker processes' store events (damaged blobs, backend calls), as `store`'s opener is. */
  storeObserver?: StoreObserver;
}

/** With claims: whether the day's snapshot of the account is committed; a store that cannot answer says no (the snapshot then fails naming it). */
async function committedAlready(options: RunOptions, account: string): Promise<boolean> {
  try {
    return (await options.store.catalog.captureForDay(account, options.day)) !== null;
  } catch {
    return false;
  }
}

/** Worker processes for this run, or null to snapshot in this process (one worker's worth of work, or no compiled worker). */
function startWorkerPool(options: RunOptions): SnapshotWorkerPool | null {
  const { config, logger } = options;
  const workers = snapshotWorkerCount(config.snapshot.workers ?? 1, config.snapshot.concurrency, options.accounts.length);
  if (workers <= 1 || !config.store) return null;
  if (!snapshotWorkersAvailable()) {
    logger.debug({ workers }, 'snapshot workers need the compiled code; snapshotting in this process');
    return null;
  }
  return new SnapshotWorkerPool({
    workers,
    settings: {
      store: config.store, upstream: config.upstream, fetchBatchSize: config.snapshot.fetchBatchSize, logLevel: logger.level, progress: Boolean(options.onProgress),
    },
    logger,
    onProgress: options.onProgress,
    storeObserver: options.storeObserver,
  });
}

/** Outcomes in the order of `accounts`, without the accounts left to another instance. */
export async function runSnapshots(options: RunOptions): Promise<AccountOutcome[]> {
  const { config, store, accounts, day, logger, claims } = options;
  const runStarted = Date.now();
  const outcomes: (AccountOutcome | undefined)[] = new Array(accounts.length);
  const pool = startWorkerPool(options);
  const snapshotOne = pool
    ? (account: SnapshotAccount) => pool.snapshot(account, day)
    : (account: SnapshotAccount) =>
        snapshotAccount(store, account.user, day, {
          upstream: config.upstream,
          credentials: account.credentials,
          fetchBatchSize: config.snapshot.fetchBatchSize,
          logger,
          onProgress: options.onProgress,
        });
  let next = 0;
  async function worker(): Promise<void> {
    for (;;) {
      const index = next++;
      if (index >= accounts.length) return;
      const account = accounts[index];
      const claim = claims ? await claims.claim(account.user, day) : null;
      if (claims && !claim) {
        logger.debug({ account: account.user, day }, 'snapshot left to another instance');
        options.onAccountSkipped?.(account.user);
        continue;
      }
      // An instance killed after committing the day but before marking it done left only its lock
      // behind: the catalog says the day is there, so it is marked done rather than taken again.
      if (claim && (await committedAlready(options, account.user))) {
        await claim.finish();
        logger.info({ account: account.user, day }, 'snapshot already committed for the day; marked done');
        options.onAccountSkipped?.(account.user);
        continue;
      }
      const started = Date.now();
      let outcome: AccountOutcome;
      try {
        const result = await snapshotOne(account);
        outcome = { ok: true, result, seconds: (Date.now() - started) / 1000 };
        await claim?.finish();
        logger.info({ ...result, seconds: outcome.seconds }, 'snapshot committed');
      } catch (error) {
        await claim?.release();
        outcome = { ok: false, account: account.user, error: (error as Error).message, seconds: (Date.now() - started) / 1000 };
        logger.error({ account: account.user, day, error: outcome.error }, 'snapshot failed');
      }
      outcomes[index] = outcome;
      options.observer?.snapshotAccount(outcome);
      options.onAccountDone?.(outcome);
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(config.snapshot.concurrency, accounts.length) }, worker));
  } finally {
    await pool?.close();
  }
  const done = outcomes.filter((outcome): outcome is AccountOutcome => outcome !== undefined);
  const succeeded = done.flatMap((outcome) => (outcome.ok ? [outcome.result] : []));
  options.observer?.snapshotRun({
    seconds: (Date.now() - runStarted) / 1000,
    accounts: done.length,
    failed: done.length - succeeded.length,
    messages: succeeded.reduce((sum, result) => sum + result.messages, 0),
    bytes: succeeded.reduce((sum, result) => sum + result.bytes, 0),
  });
  return done;
}
