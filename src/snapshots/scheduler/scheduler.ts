/**
 * The nightly job of `mtm serve`: at `snapshot.schedule` in `snapshot.timezone`, snapshot every
 * account for that day, then apply retention. At start-up, today's snapshot is taken for accounts
 * that have none yet. Runs never overlap. With `redis.url`, instances share the work through Redis
 * claims (src/coordination): each account is snapshotted by one instance per day.
 */
import { Cron } from 'croner';
import type { Logger } from 'pino';
import type { RedisSettings, SnapshotSettings, UpstreamSettings } from '../../config/settings.js';
import { claimsFor, type RedisClaimsOptions, type SnapshotClaims } from '../../coordination/snapshot-claims.js';
import { dayIn, type DayLabel } from '../day-label.js';
import { pruneAll } from '../retention.js';
import { configuredAccounts, type SnapshotAccount } from '../../upstream/index.js';
import { runSnapshots, type AccountOutcome, type SnapshotObserver } from '../snapshotter/run.js';
import type { Store, StoreObserver, StoreSettings } from '../store/store.js';

export interface Scheduler {
  /** Resolves when the start-up catch-up run is over. */
  ready: Promise<void>;
  runNow(day?: DayLabel): Promise<AccountOutcome[]>;
  nextRun(): Date | null;
  stop(): Promise<void>;
}

/** A run's observer, also told when the store changed (after runs and retention) to recount it. */
export interface SchedulerObserver extends SnapshotObserver {
  refreshStore(store: Store): Promise<void>;
}

export interface SchedulerOptions {
  /** Coordination between instances; by default Redis claims when `redis.url` is set. */
  claims?: SnapshotClaims;
  /** Options of the default Redis claims (e.g. a key prefix per deployment). */
  redisClaims?: RedisClaimsOptions;
  /** Told of runs and store changes (metrics); nothing by default. */
  observer?: SchedulerObserver;
  /** Told of the snapshot workers' store events, as the store's own observer is; nothing by default. */
  storeObserver?: StoreObserver;
}

/** What the nightly job reads: the live server, the snapshot keys, Redis for coordination, and the store settings snapshot workers open it from. */
export interface SchedulerSettings {
  upstream: UpstreamSettings;
  snapshot: SnapshotSettings;
  redis: RedisSettings;
  store: StoreSettings;
}

export function startScheduler(config: SchedulerSettings, store: Store, logger: Logger, options: SchedulerOptions = {}): Scheduler {
  let running: Promise<AccountOutcome[]> | null = null;
  const ownClaims = options.claims === undefined;
  const claims =
    options.claims ??
    claimsFor(config.redis.url, { keyPrefix: config.redis.keyPrefix, ...options.redisClaims, warn: options.redisClaims?.warn ?? ((message, detail) => logger.warn(detail, message)) });
  const coordinated = Boolean(options.claims) || Boolean(config.redis.url);

  async function run(day: DayLabel, accounts: SnapshotAccount[]): Promise<AccountOutcome[]> {
    while (running) await running.catch(() => undefined);
    const current = (async () => {
      logger.info({ day, accounts: accounts.length }, 'snapshot run starting');
      const outcomes = await runSnapshots({ config, store, accounts, day, logger, claims: coordinated ? claims : undefined, observer: options.observer, storeObserver: options.storeObserver });
      const pruned = await pruneAll(store, day, config.snapshot.retentionDays);
      await options.observer?.refreshStore(store).catch((error) => logger.warn({ error: (error as Error).message }, 'cannot compute store metrics'));
      logger.info({ day, failed: outcomes.filter((o) => !o.ok).length, pruned: pruned.filter((p) => p.droppedDays.length > 0) }, 'snapshot run finished');
      return outcomes;
    })();
    running = current;
    try {
      return await current;
    } finally {
      if (running === current) running = null;
    }
  }

  const job = new Cron(config.snapshot.schedule, { timezone: config.snapshot.timezone, protect: true }, async () => {
    try {
      await run(dayIn(config.snapshot.timezone), configuredAccounts(config.snapshot));
    } catch (error) {
      logger.error({ error: (error as Error).message }, 'scheduled snapshot run failed');
    }
  });

  const ready = (async () => {
    const today = dayIn(config.snapshot.timezone);
    const missing: SnapshotAccount[] = [];
    for (const account of configuredAccounts(config.snapshot)) {
      if ((await store.catalog.captureForDay(account.user, today)) === null) missing.push(account);
    }
    if (missing.length > 0) await run(today, missing);
  })().catch((error) => logger.error({ error: (error as Error).message }, 'start-up snapshot failed'));

  return {
    ready,
    runNow: (day) => run(day ?? dayIn(config.snapshot.timezone), configuredAccounts(config.snapshot)),
    nextRun: () => job.nextRun(),
    async stop() {
      job.stop();
      await ready;
      await running?.catch(() => undefined);
      if (ownClaims) await claims.close();
    },
  };
}
