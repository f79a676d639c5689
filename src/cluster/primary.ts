/**
 * The primary of `mtm serve` with `server.workers` > 1: forks the IMAP worker processes, which
 * share the listening sockets through node:cluster (the primary accepts and hands connections out
 * in turn), and is the one place that counts what must hold for the server as a whole:
 * connections per client and in all, and failed logins (the FailureLimits the web sign-in uses
 * too). Restore requests made over IMAP are filed here, where the restore jobs run. A worker that
 * dies is replaced after a pause that grows while they keep dying.
 */
import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { AttemptOutcome, LoginLimits, Reservation } from '../auth/index.js';
import type { MetricsSnapshot } from '../metrics.js';
import type { ConnectionLimits } from '../proxy/connection-limits.js';
import type { ImapServer } from '../proxy/server.js';
import type { RestoreRequester } from '../snapshots/view/index.js';
import { IpcPeer } from './ipc.js';

export interface WorkerPoolOptions {
  /** How many IMAP worker processes. */
  workers: number;
  /** The ports of the config; 0 lets the first worker's listener pick one, which the others then share. */
  port: number;
  tlsPort?: number;
  connectionLimits: ConnectionLimits;
  loginLimits: LoginLimits;
  restore: RestoreRequester;
  logger: Logger;
}

export interface WorkerPool extends ImapServer {
  /** The pids of the running workers. */
  pids(): number[];
  /** Each worker's metrics, for /metrics; a worker that does not answer is left out. */
  workerMetrics(): Promise<MetricsSnapshot[]>;
}

/** How long a worker may take to close its sessions once told to stop, before it is killed. */
const STOP_GRACE_MS = 20_000;
/** Pause before replacing a dead worker: doubled for each death in a row, up to the maximum. */
const RESTART_FIRST_MS = 500;
const RESTART_MAX_MS = 30_000;
/** A worker that served this long before dying was not crash-looping: the next pause starts short again. */
const STABLE_AFTER_MS = 60_000;

interface RunningWorker {
  worker: Worker;
  peer: IpcPeer;
  startedAt: number;
  /** Connections admitted for this worker and not yet released, by client: given back if it dies. */
  held: Map<string, number>;
}

export function createWorkerPool(options: WorkerPoolOptions): WorkerPool {
  const { logger, connectionLimits, loginLimits } = options;
  const running = new Map<number, RunningWorker>();
  const restartTimers = new Set<NodeJS.Timeout>();
  let ports: { port: number; tlsPort?: number } = { port: options.port, tlsPort: options.tlsPort };
  let deathsInARow = 0;
  let stopping = false;

  function handlersFor(entry: () => RunningWorker) {
    return {
      admit(payload: unknown) {
        const admission = connectionLimits.admit((payload as { address: string }).address);
        if (admission.admitted) entry().held.set(admission.client, (entry().held.get(admission.client) ?? 0) + 1);
        return admission;
      },
      release(payload: unknown) {
        const { client } = payload as { client: string };
        const held = entry().held.get(client) ?? 0;
        // Only what this worker holds: a late notice from a worker already cleaned up counts nothing.
        if (held === 0) return;
        if (held === 1) entry().held.delete(client);
        else entry().held.set(client, held - 1);
        connectionLimits.release(client);
      },
      'limits.begin': (payload: unknown) => {
        const { account, ip } = payload as { account: string; ip: string };
        return loginLimits.begin(account, ip);
      },
      'limits.peek': (payload: unknown) => {
        const { account, ip } = payload as { account: string; ip: string };
        return loginLimits.peek(account, ip);
      },
      'limits.forgive': (payload: unknown) => {
        const { account, ip } = payload as { account: string; ip: string };
        return loginLimits.forgive(account, ip);
      },
      'limits.settle': (payload: unknown) => {
        const { reservation, outcome } = payload as { reservation: Reservation; outcome: AttemptOutcome };
        return loginLimits.settle(reservation, outcome);
      },
      restore: (payload: unknown) => options.restore(payload as Parameters<RestoreRequester>[0]),
    };
  }

  /** Forks one worker; resolves with the ports it listens on, rejects if it exits first. */
  function fork(): Promise<{ port: number; tlsPort?: number }> {
    // The worker runs the same `mtm serve` command line; cluster tells it that it is a worker,
    // and the ports come as the config's own environment overrides.
    const env: Record<string, string> = { MTM_SERVER_PORT: String(ports.port) };
    if (ports.tlsPort !== undefined) env.MTM_SERVER_TLS_PORT = String(ports.tlsPort);
    const worker = cluster.fork(env);
    let entry: RunningWorker;
    const listening = new Promise<{ port: number; tlsPort?: number }>((resolve, reject) => {
      const handlers = {
        ...handlersFor(() => entry),
        listening: (payload: unknown) => resolve(payload as { port: number; tlsPort?: number }),
        failed: (payload: unknown) => reject(new Error((payload as { message: string }).message)),
      };
      entry = { worker, peer: new IpcPeer(worker, handlers), startedAt: Date.now(), held: new Map() };
      worker.once('exit', () => reject(new Error('the IMAP worker exited before listening')));
    });
    // Registered on fork, not on listening: a worker that dies early still gives its connections back.
    running.set(worker.id, entry!);
    worker.once('exit', (code, signal) => died(entry, code, signal));
    return listening;
  }

  function died(entry: RunningWorker, code: number | null, signal: string | null): void {
    running.delete(entry.worker.id);
    entry.peer.close();
    for (const [client, count] of entry.held) for (let index = 0; index < count; index++) connectionLimits.release(client);
    entry.held.clear();
    if (stopping) return;
    const served = Date.now() - entry.startedAt;
    deathsInARow = served >= STABLE_AFTER_MS ? 1 : deathsInARow + 1;
    const delayMs = Math.min(RESTART_MAX_MS, RESTART_FIRST_MS * 2 ** (deathsInARow - 1));
    logger.error({ workerPid: entry.worker.process.pid, code, signal, restartInMs: delayMs }, 'IMAP worker died; starting a new one');
    const timer = setTimeout(() => {
      restartTimers.delete(timer);
      if (stopping) return;
      fork().then(
        () => logger.info({ pids: pids() }, 'IMAP worker replaced'),
        (error: Error) => logger.error({ err: error }, 'replacement IMAP worker failed to start'),
      );
    }, delayMs);
    restartTimers.add(timer);
  }

  function pids(): number[] {
    return [...running.values()].map((entry) => entry.worker.process.pid ?? 0);
  }

  async function stopWorker(entry: RunningWorker): Promise<void> {
    const exited = new Promise<void>((resolve) => {
      if (entry.worker.isDead()) resolve();
      else entry.worker.once('exit', () => resolve());
    });
    entry.peer.notify('shutdown');
    const killer = setTimeout(() => entry.worker.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(killer);
  }

  async function close(): Promise<void> {
    stopping = true;
    for (const timer of restartTimers) clearTimeout(timer);
    restartTimers.clear();
    await Promise.all([...running.values()].map(stopWorker));
    logger.info('IMAP workers stopped');
  }

  return {
    async listen() {
      // The first worker binds (a port of 0 becomes a real one); the others share what it bound.
      try {
        ports = await fork();
        await Promise.all(Array.from({ length: options.workers - 1 }, () => fork()));
      } catch (error) {
        await close();
        throw error;
      }
      logger.info({ ...ports, workers: options.workers, pids: pids() }, 'IMAP served by worker processes');
      return ports;
    },
    close,
    connectionCount: () => connectionLimits.open,
    pids,
    async workerMetrics() {
      const answers = await Promise.allSettled([...running.values()].map((entry) => entry.peer.request<MetricsSnapshot>('metrics')));
      return answers.flatMap((answer) => (answer.status === 'fulfilled' ? [answer.value] : []));
    },
  };
}
