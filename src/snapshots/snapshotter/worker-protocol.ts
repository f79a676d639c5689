/**
 * The messages between a snapshot run (worker-pool.ts, in the parent) and its worker processes
 * (snapshot-worker.ts), over the IPC channel of `child_process.fork`. Credentials travel here and
 * nowhere else: never in argv or the environment, where `ps` would show them.
 */
import type { UpstreamSettings } from '../../config/settings.js';
import type { AccountCredentials } from '../../upstream/index.js';
import type { DayLabel } from '../day-label.js';
import type { StoreSettings } from '../store/store.js';
import type { AccountSnapshotResult } from './account-snapshot.js';

/** What every account of the run shares, sent once when the worker starts. */
export interface WorkerSettings {
  store: StoreSettings;
  upstream: UpstreamSettings;
  fetchBatchSize: number;
  /** The parent logger's level: the worker logs to the same stderr at the same level. */
  logLevel: string;
  /** Whether the parent wants progress events (an interactive `mtm snapshot`). */
  progress: boolean;
}

export type ToWorker =
  | { type: 'start'; settings: WorkerSettings }
  | { type: 'snapshot'; id: number; account: string; credentials: AccountCredentials; day: DayLabel }
  /** No more accounts: close the store and exit. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'done'; id: number; ok: true; result: AccountSnapshotResult }
  | { type: 'done'; id: number; ok: false; error: string }
  | { type: 'progress'; event: { account: string; folder: string; done: number; total: number } }
  | { type: 'blob-damaged'; damage: { account: string; hash: string; problem: string } }
  | { type: 'backend-call'; call: { backend: string; operation: string; seconds: number; ok: boolean } };
