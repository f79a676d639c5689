/**
 * Several processes write the embedded catalog at once: the snapshot workers of a run
 * (`snapshot.workers`), `mtm serve` beside an `mtm snapshot`. SQLite lets one write at a time and
 * makes the others wait (busy_timeout), except a write transaction that began by reading (starting
 * a capture, recording a folder, rolling one back): it fails at once with SQLITE_BUSY, since
 * waiting could deadlock, or SQLITE_BUSY_SNAPSHOT when another process wrote since its read.
 * Those calls are repeated here after a short random pause, as busy_timeout would have waited; a
 * failed transaction rolled back whole, so the repeat starts clean. The catalog now begins its write
 * transactions IMMEDIATE, so they wait in busy_timeout themselves (and a process stopped between a
 * read and a write no longer meets SQLITE_BUSY_SNAPSHOT); this stays as the second line for a
 * writer that held the lock longer than busy_timeout.
 */
import type { Catalog } from '../catalog.js';

/** The catalog calls that write, each one transaction (or one statement). */
const WRITES = new Set<string>(['startCapture', 'recordFolder', 'carryFolderForward', 'addBlobs', 'recordFetched', 'commitCapture', 'abandonCapture', 'dropDays', 'collectGarbage']);

/** As long as the catalog's busy_timeout. */
const GIVE_UP_AFTER_MS = 10_000;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function retryingWhenBusy<T extends Catalog>(catalog: T): T {
  return new Proxy(catalog, {
    get(target, key) {
      const value: unknown = Reflect.get(target, key, target);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (typeof key !== 'string' || !WRITES.has(key)) return method.bind(target);
      return async (...args: unknown[]) => {
        const started = Date.now();
        for (;;) {
          try {
            return await method.apply(target, args);
          } catch (error) {
            if (!isBusy(error) || Date.now() - started > GIVE_UP_AFTER_MS) throw error;
            // Random, so two processes that collided do not collide again in step.
            await pause(2 + Math.random() * 20);
          }
        }
      };
    },
  });
}
