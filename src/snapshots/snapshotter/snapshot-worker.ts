/**
 * A snapshot worker process (started by worker-pool.ts with `child_process.fork`): opens the store
 * itself and snapshots the accounts its parent hands it, several at once, answering each with its
 * result or its error. The parsing, hashing, compression and catalog writes of those accounts run
 * on this process's event loop and thread pool, so a run uses every core.
 */
import type { Logger, LoggerOptions } from 'pino';
import { createLogger } from '../../log.js';
import { openStore, type Store } from '../store/store.js';
import { snapshotAccount } from './account-snapshot.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.js';

// The parent gone (killed, crashed): stop now, as a killed `mtm snapshot` stops. The next run rolls
// back this one's unfinished captures and reuses the bodies it stored.
process.on('disconnect', () => process.exit(1));

function send(message: FromWorker): void {
  if (process.connected) process.send!(message);
}

let settings: WorkerSettings | null = null;
let logger: Logger | null = null;
let storeOpening: Promise<Store> | null = null;
const inFlight = new Set<Promise<void>>();

function openWorkerStore(current: WorkerSettings): Promise<Store> {
  storeOpening ??= openStore(current.store, 'write', {
    blobDamaged: (damage) => send({ type: 'blob-damaged', damage: { account: damage.account, hash: damage.hash, problem: damage.problem } }),
    backendCall: (call) => send({ type: 'backend-call', call }),
  });
  return storeOpening;
}

async function snapshot(message: Extract<ToWorker, { type: 'snapshot' }>): Promise<void> {
  const current = settings;
  try {
    if (!current || !logger) throw new Error('snapshot worker asked for a snapshot before its settings');
    const store = await openWorkerStore(current);
    const result = await snapshotAccount(store, message.account, message.day, {
      upstream: current.upstream,
      credentials: message.credentials,
      fetchBatchSize: current.fetchBatchSize,
      logger,
      onProgress: current.progress ? (event) => send({ type: 'progress', event }) : undefined,
    });
    send({ type: 'done', id: message.id, ok: true, result });
  } catch (error) {
    send({ type: 'done', id: message.id, ok: false, error: (error as Error).message });
  }
}

async function close(): Promise<void> {
  await Promise.all(inFlight);
  if (storeOpening) await (await storeOpening.catch(() => null))?.close();
  process.exit(0);
}

process.on('message', (message: ToWorker) => {
  if (message.type === 'start') {
    settings = message.settings;
    logger = createLogger(settings.logLevel as LoggerOptions['level']);
  } else if (message.type === 'close') void close();
  else if (message.type === 'snapshot') {
    const task: Promise<void> = snapshot(message).finally(() => inFlight.delete(task));
    inFlight.add(task);
  }
});
