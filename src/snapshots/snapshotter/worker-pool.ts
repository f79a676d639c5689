/**
 * Snapshot worker processes for one run (`snapshot.workers`). One Node process saturates one core
 * on parsing, hashing, deflating and catalog writes long before the live server or the disk is
 * the limit (docs/performance.md, "Nightly run on all cores"), so a run hands its accounts to a few
 * forked processes (snapshot-worker.ts), each with its own store connection.
 *
 * The run (run.ts) still decides which account goes when and does everything around a snapshot
 * (claims, outcomes, logs, metrics); an account is handed to the least busy worker. A worker that
 * dies fails only the accounts it had in flight, as a killed `mtm snapshot` would (their next run
 * completes them), and a new worker takes the accounts still to come.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { DayLabel } from '../day-label.js';
import { BlobDamagedError } from '../store/blob-damage.js';
import type { StoreObserver } from '../store/store.js';
import type { SnapshotAccount } from '../../upstream/index.js';
import type { AccountSnapshotResult } from './account-snapshot.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.js';

/**
 * The worker's compiled entry point. Run from the TypeScript sources (ts-jest, a script under a
 * loader) there is none to fork: runs then stay in the calling process.
 */
const WORKER_SCRIPT = fileURLToPath(new URL('./snapshot-worker.js', import.meta.url));

/** `snapshot.workers` made concrete: 0 is one per core; never more than can be busy at once. */
export function snapshotWorkerCount(configured: number, concurrency: number, accounts: number): number {
  const wanted = configured === 0 ? availableParallelism() : configured;
  return Math.max(1, Math.min(wanted, concurrency, accounts));
}

/** Whether this installation can fork workers (false when running from the TypeScript sources). */
export function snapshotWorkersAvailable(): boolean {
  return existsSync(WORKER_SCRIPT);
}

export interface WorkerPoolOptions {
  workers: number;
  settings: WorkerSettings;
  logger: Logger;
  onProgress?: (event: { account: string; folder: string; done: number; total: number }) => void;
  /** Told of the workers' store events, as the parent's own store would tell them. */
  storeObserver?: StoreObserver;
}

interface Pending {
  account: string;
  resolve: (result: AccountSnapshotResult) => void;
  reject: (error: Error) => void;
}

interface Worker {
  child: ChildProcess;
  pending: Map<number, Pending>;
  exited: Promise<void>;
  alive: boolean;
}

export class SnapshotWorkerPool {
  private readonly workers: Worker[] = [];
  private nextId = 1;
  private closing = false;

  constructor(private readonly options: WorkerPoolOptions) {
    for (let index = 0; index < options.workers; index++) this.workers.push(this.spawn());
  }

  /** The account's snapshot in the least busy worker; rejects with the worker's error, or if it dies. */
  snapshot(account: SnapshotAccount, day: DayLabel): Promise<AccountSnapshotResult> {
    const worker = this.leastBusy();
    const id = this.nextId++;
    return new Promise<AccountSnapshotResult>((resolve, reject) => {
      worker.pending.set(id, { account: account.user, resolve, reject });
      this.post(worker, { type: 'snapshot', id, account: account.user, credentials: account.credentials, day });
    });
  }

  /** Lets every worker finish and close its store; a worker that does not within `graceMs` is killed. */
  async close(graceMs = 30_000): Promise<void> {
    this.closing = true;
    for (const worker of this.workers) if (worker.alive) this.post(worker, { type: 'close' });
    await Promise.all(
      this.workers.map(async (worker) => {
        const timer = setTimeout(() => worker.child.kill('SIGKILL'), graceMs);
        await worker.exited;
        clearTimeout(timer);
      }),
    );
  }

  private leastBusy(): Worker {
    // A dead worker's place is taken by a new one, so a crash early in the run costs no parallelism.
    for (let index = 0; index < this.workers.length; index++) {
      if (!this.workers[index].alive) this.workers[index] = this.spawn();
    }
    return this.workers.reduce((best, worker) => (worker.pending.size < best.pending.size ? worker : best));
  }

  private post(worker: Worker, message: ToWorker): void {
    try {
      worker.child.send(message);
    } catch {
      // The channel closed under us: the exit handler fails what was pending.
    }
  }

  private spawn(): Worker {
    // stderr (the logs) and stdout are the parent's; the IPC channel carries the work.
    const child = fork(WORKER_SCRIPT, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    const worker: Worker = { child, pending: new Map(), alive: true, exited: Promise.resolve() };
    worker.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        worker.alive = false;
        if (worker.pending.size > 0) {
          const accounts = [...worker.pending.values()].map((pending) => pending.account);
          this.options.logger.error({ pid: child.pid, code, signal, accounts }, 'snapshot worker ended in the middle of its snapshots');
          const how = signal ? `was killed (${signal})` : `exited (code ${code})`;
          for (const pending of worker.pending.values()) pending.reject(new Error(`the snapshot worker (pid ${child.pid}) ${how} during the snapshot; the next run completes it`));
          worker.pending.clear();
        } else if (!this.closing) {
          this.options.logger.warn({ pid: child.pid, code, signal }, 'snapshot worker ended between snapshots');
        }
        resolve();
      });
    });
    child.on('error', (error) => this.options.logger.error({ pid: child.pid, error: error.message }, 'snapshot worker failed'));
    child.on('message', (message: FromWorker) => this.receive(worker, message));
    this.post(worker, { type: 'start', settings: this.options.settings });
    return worker;
  }

  private receive(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'done': {
        const pending = worker.pending.get(message.id);
        if (!pending) return;
        worker.pending.delete(message.id);
        if (message.ok) pending.resolve(message.result);
        else pending.reject(new Error(message.error));
        return;
      }
      case 'progress':
        this.options.onProgress?.(message.event);
        return;
      case 'blob-damaged': {
        const { account, hash, problem } = message.damage;
        const observe = this.options.storeObserver?.blobDamaged;
        if (observe) observe(new BlobDamagedError(account, hash, problem));
        else this.options.logger.error({ account, blob: hash, problem }, 'stored message damaged; it is not served or restored until repaired (run mtm verify)');
        return;
      }
      case 'backend-call':
        this.options.storeObserver?.backendCall?.(message.call);
        return;
    }
  }
}
