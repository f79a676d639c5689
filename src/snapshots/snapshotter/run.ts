/** A snapshot run over many accounts, `snapshot.concurrency` at a time; one failure stops no other. */
import type { Logger } from 'pino';
import type { Config } from '../../config/schema.js';
import type { DayLabel } from '../day-label.js';
import type { Store } from '../store/store.js';
import { snapshotAccount, type AccountSnapshotResult } from './account-snapshot.js';
import type { SnapshotAccount } from './accounts.js';

export type AccountOutcome = { ok: true; result: AccountSnapshotResult; seconds: number } | { ok: false; account: string; error: string; seconds: number };

export interface RunOptions {
  config: Config;
  store: Store;
  accounts: SnapshotAccount[];
  day: DayLabel;
  logger: Logger;
  onProgress?: (event: { account: string; folder: string; done: number; total: number }) => void;
  onAccountDone?: (outcome: AccountOutcome) => void;
}

export async function runSnapshots(options: RunOptions): Promise<AccountOutcome[]> {
  const { config, store, accounts, day, logger } = options;
  const outcomes: AccountOutcome[] = new Array(accounts.length);
  let next = 0;
  async function worker(): Promise<void> {
    for (;;) {
      const index = next++;
      if (index >= accounts.length) return;
      const account = accounts[index];
      const started = Date.now();
      let outcome: AccountOutcome;
      try {
        const result = await snapshotAccount(store, account.user, day, {
          upstream: config.upstream,
          credentials: account.credentials,
          fetchBatchSize: config.snapshot.fetchBatchSize,
          logger,
          onProgress: options.onProgress,
        });
        outcome = { ok: true, result, seconds: (Date.now() - started) / 1000 };
        logger.info({ ...result, seconds: outcome.seconds }, 'snapshot committed');
      } catch (error) {
        outcome = { ok: false, account: account.user, error: (error as Error).message, seconds: (Date.now() - started) / 1000 };
        logger.error({ account: account.user, day, error: outcome.error }, 'snapshot failed');
      }
      outcomes[index] = outcome;
      options.onAccountDone?.(outcome);
    }
  }
  await Promise.all(Array.from({ length: Math.min(config.snapshot.concurrency, accounts.length) }, worker));
  return outcomes;
}
