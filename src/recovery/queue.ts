/**
 * Where accepted restores wait for a worker. In-process by default; the interface is what a
 * Redis-backed queue (BullMQ, shared by several instances) implements later.
 */
export type JobRunner = (jobId: string) => Promise<void>;

export interface RestoreQueue {
  /** Hands the job to a worker; the job record says how it went. */
  enqueue(jobId: string): Promise<void>;
  /** Resolves when the job has been run (or immediately when this queue does not know it). */
  whenDone(jobId: string): Promise<void>;
  /** Resolves when nothing is waiting or running. */
  idle(): Promise<void>;
  resume(): void;
  close(): Promise<void>;
}

export interface InProcessQueueOptions {
  concurrency?: number;
  /** false: jobs wait until resume() — for an orderly start (and for tests of "a restore is pending"). */
  autostart?: boolean;
}

export class InProcessQueue implements RestoreQueue {
  private readonly waiting: string[] = [];
  private readonly finished = new Map<string, Promise<void>>();
  private readonly settle = new Map<string, () => void>();
  private running = 0;
  private paused: boolean;
  private readonly concurrency: number;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly runner: JobRunner,
    options: InProcessQueueOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 2;
    this.paused = options.autostart === false;
  }

  async enqueue(jobId: string): Promise<void> {
    // Only a job still waiting or running is a duplicate; a finished one may be run again (rerun).
    if (this.settle.has(jobId)) return;
    this.finished.set(jobId, new Promise((done) => this.settle.set(jobId, done)));
    this.waiting.push(jobId);
    this.pump();
  }

  whenDone(jobId: string): Promise<void> {
    return this.finished.get(jobId) ?? Promise.resolve();
  }

  idle(): Promise<void> {
    if (this.running === 0 && (this.waiting.length === 0 || this.paused)) return Promise.resolve();
    return new Promise((done) => this.idleWaiters.push(done));
  }

  resume(): void {
    this.paused = false;
    this.pump();
  }

  async close(): Promise<void> {
    this.paused = true;
    if (this.running > 0) await new Promise<void>((done) => this.idleWaiters.push(done));
  }

  private pump(): void {
    while (!this.paused && this.running < this.concurrency && this.waiting.length > 0) {
      const jobId = this.waiting.shift()!;
      this.running += 1;
      // The runner records failures in the job itself; a throw here must not stop the queue.
      void this.runner(jobId)
        .catch(() => undefined)
        .finally(() => {
          this.running -= 1;
          this.settle.get(jobId)?.();
          this.settle.delete(jobId);
          this.pump();
          if (this.running === 0 && (this.waiting.length === 0 || this.paused)) {
            const waiters = this.idleWaiters;
            this.idleWaiters = [];
            waiters.forEach((done) => done());
          }
        });
    }
  }
}
