/**
 * The Redis-backed restore queue (BullMQ), chosen when `redis.url` is set: every instance with
 * the same Redis and key prefix shares one queue, so a restore accepted by one instance may be run
 * by another's worker, and a job whose worker died (its lock is no longer renewed) is put back to
 * waiting by BullMQ's stalled-job check and run again by whichever worker is alive — a restarted
 * instance included. Restores are idempotent, so running one again is safe.
 *
 * Only job ids travel through Redis; the job records (status, progress, result) stay in the
 * store's JobStore (embedded: <store.path>/recovery/jobs.sqlite). Instances sharing a queue are
 * therefore expected to share the store too (same machine, or a shared volume for the embedded
 * one): a worker must find the record of a job another instance accepted. A record left `running` by a dead process is recognised as
 * abandoned only on the machine that ran it (JobStore checks the process id), so a job resumed on
 * another machine waits until that machine's instance reaps it, or until someone reruns it.
 */
import { Queue, Worker, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { RedisSettings } from '../config/settings.js';
import { silentLogger } from '../log.js';
import type { JobStore } from './jobs.js';
import { InProcessQueue, type JobRunner, type RestoreQueue } from './queue.js';

const QUEUE_NAME = 'restores';
/** How often a waiter asks Redis whether a job run by another instance has finished. */
const POLL_MS = 250;
const FINISHED_STATES = new Set(['completed', 'failed', 'unknown']);
/** How long handing a job to Redis may take before the request is answered "unavailable". */
const ENQUEUE_TIMEOUT_MS = 3000;

/** Redis could not take the job in time: nothing was queued (or what Redis gets later is ignored). */
export class QueueUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueUnavailableError';
  }
}

export interface BullRestoreQueueOptions {
  /** redis://… of the Redis every sharing instance uses. */
  url: string;
  /** Key prefix (`<prefix>:restores:…`); instances share work only with the same prefix. Default `mtm`. */
  prefix?: string;
  /** Restores this instance runs at once. */
  concurrency?: number;
  /** false: this instance's worker takes no job until resume(); the others still do. */
  autostart?: boolean;
  /**
   * Called before each job is run: makes a record left behind by a dead process runnable again
   * (see reclaimAbandoned). The queue itself knows nothing about job records.
   */
  reclaim?: (jobId: string) => void | Promise<void>;
  /** How long a worker's claim on a running job lasts without renewal (BullMQ lockDuration). */
  lockMs?: number;
  /** How often workers look for jobs whose claim lapsed (BullMQ stalledInterval). */
  stalledCheckMs?: number;
  /** How long enqueue may wait for Redis before it fails with QueueUnavailableError (default 3 s). */
  enqueueTimeoutMs?: number;
  logger?: Logger;
}

export class BullRestoreQueue implements RestoreQueue {
  private readonly queue: Queue;
  private readonly worker: Worker;
  private readonly logger: Logger;
  private readonly concurrency: number;
  /** Jobs this instance's worker is running now. */
  private running = 0;
  /** Sleeping waiters, woken early when a local job finishes so they need not sleep a whole interval. */
  private readonly sleepers = new Set<() => void>();
  private closing: Promise<void> | null = null;

  constructor(
    private readonly runner: JobRunner,
    private readonly options: BullRestoreQueueOptions,
  ) {
    this.logger = options.logger ?? silentLogger;
    this.concurrency = options.concurrency ?? 2;
    const prefix = options.prefix ?? 'mtm';
    this.queue = new Queue(QUEUE_NAME, {
      // Without the offline queue a command fails at once while Redis is down, instead of waiting
      // (forever, by default) for a reconnect with the client's request hanging on it.
      connection: { url: options.url, enableOfflineQueue: false, connectTimeout: ENQUEUE_TIMEOUT_MS },
      prefix,
      // Records live in SQLite; Redis keeps a job only while it waits or runs, so a finished job's
      // id can be enqueued again (a rerun) and "unknown" means finished.
      defaultJobOptions: { removeOnComplete: true, removeOnFail: true, attempts: 1 },
    });
    this.queue.on('error', (error) => this.logger.error({ error: error.message }, 'restore queue: Redis error'));
    this.worker = new Worker(QUEUE_NAME, (job: Job<{ jobId: string }>) => this.process(job), {
      connection: { url: options.url, maxRetriesPerRequest: null },
      prefix,
      concurrency: this.concurrency,
      autorun: options.autostart !== false,
      ...(options.lockMs !== undefined && { lockDuration: options.lockMs }),
      ...(options.stalledCheckMs !== undefined && { stalledInterval: options.stalledCheckMs }),
    });
    this.worker.on('error', (error) => this.logger.error({ error: error.message }, 'restore worker: Redis error'));
    this.worker.on('failed', (job, error) => this.logger.error({ jobId: job?.id, error: error.message }, 'restore job failed in the worker'));
    this.worker.on('stalled', (jobId) => this.logger.warn({ jobId }, 'restore job stalled (its worker stopped); it will run again'));
  }

  private async process(job: Job<{ jobId: string }>): Promise<void> {
    const { jobId } = job.data;
    this.running += 1;
    try {
      await this.options.reclaim?.(jobId);
      await this.runner(jobId);
    } finally {
      this.running -= 1;
      this.wakeAll();
    }
  }

  async enqueue(jobId: string): Promise<void> {
    // The BullMQ id is the record's id: enqueuing a job that still waits or runs adds nothing.
    // BullMQ first waits for the connection to be ready, which no client option bounds: a Redis that
    // is down, or accepts connections but never answers, would hold the caller indefinitely.
    const limit = this.options.enqueueTimeoutMs ?? ENQUEUE_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new QueueUnavailableError(`the restore queue (Redis) did not answer within ${Math.round(limit / 1000)} s`)), limit);
    });
    const added = this.queue.add('restore', { jobId }, { jobId });
    // A late success after the timeout is harmless (the runner skips a job whose record is no
    // longer queued); a late failure must not surface as an unhandled rejection.
    added.catch(() => undefined);
    try {
      await Promise.race([added, timeout]);
    } catch (error) {
      if (error instanceof QueueUnavailableError) throw error;
      throw new QueueUnavailableError(`the restore queue (Redis) is unreachable: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }

  async whenDone(jobId: string): Promise<void> {
    while (!this.closing && !FINISHED_STATES.has(await this.queue.getJobState(jobId))) await this.nap();
  }

  /** Nothing waiting or running in the shared queue; with this worker stopped, nothing running here. */
  async idle(): Promise<void> {
    while (!this.closing && (await this.busy())) await this.nap();
  }

  private async busy(): Promise<boolean> {
    if (!this.worker.isRunning() || this.worker.isPaused()) return this.running > 0;
    const counts = await this.queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized', 'waiting-children');
    return Object.values(counts).some((count) => count > 0);
  }

  resume(): void {
    if (this.closing) return;
    if (this.worker.isPaused()) this.worker.resume();
    // run() settles only when the worker closes.
    if (!this.worker.isRunning()) void this.worker.run().catch((error: Error) => this.logger.error({ error: error.message }, 'restore worker stopped'));
  }

  /** Lets running restores finish, then closes both Redis connections. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.wakeAll();
      // Waits for this instance's restores itself: BullMQ's graceful close also waits for its
      // fetch loop, which never ends while Redis is unreachable. With nothing of ours running, a
      // forced close loses nothing (a job fetched but not yet started is found stalled and run by
      // another worker; restores are idempotent).
      while (this.running > 0) {
        await new Promise<void>((done) => {
          const wake = (): void => {
            this.sleepers.delete(wake);
            done();
          };
          this.sleepers.add(wake);
        });
      }
      await this.worker.close(true);
      await this.queue.close();
    })();
    return this.closing;
  }

  private nap(): Promise<void> {
    return new Promise((done) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        done();
      };
      const timer = setTimeout(wake, POLL_MS);
      this.sleepers.add(wake);
    });
  }

  private wakeAll(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}

/**
 * Before a queued job runs: a record left active by a process that died (a stalled BullMQ job, or
 * one that waited while its submitter died) is marked interrupted by the JobStore and queued again,
 * unless the account meanwhile has another active restore. Records in any other state are left
 * alone, and the service's runner skips whatever is not queued.
 */
export async function reclaimAbandoned(jobs: JobStore, jobId: string, logger: Logger = silentLogger): Promise<void> {
  await jobs.reapAbandoned();
  if ((await jobs.get(jobId))?.status !== 'interrupted') return;
  const claim = await jobs.requeue(jobId);
  if (claim.claimed) logger.info({ jobId, account: claim.job.account }, 'resuming an interrupted restore');
  else logger.warn({ jobId }, 'interrupted restore not resumed: the account has another active restore');
}

export type RestoreQueueFactory = (runner: JobRunner, jobs: JobStore) => RestoreQueue;

/** The queue a RecoveryService uses: shared through Redis when `redis.url` is set, in-process otherwise. */
export function restoreQueueFor(config: { redis: RedisSettings }, options: Partial<Omit<BullRestoreQueueOptions, 'url' | 'reclaim'>> = {}): RestoreQueueFactory {
  const url = config.redis.url;
  if (!url) return (runner) => new InProcessQueue(runner, { concurrency: options.concurrency, autostart: options.autostart });
  return (runner, jobs) => new BullRestoreQueue(runner, { prefix: config.redis.keyPrefix, ...options, url, reclaim: (jobId) => reclaimAbandoned(jobs, jobId, options.logger) });
}
