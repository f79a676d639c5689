/**
 * Freezing a running `mtm snapshot` (SIGSTOP) at a moment when it holds no catalog write lock, so
 * a test can run another command "in the middle" of it deterministically.
 */
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Stops `child`; retries until the catalog's write lock is free while it is stopped. */
export async function freezeOutsideWrite(child: ChildProcess, storePath: string): Promise<void> {
  const db = new Database(join(storePath, 'catalog.sqlite'), { timeout: 0 });
  try {
    for (let attempt = 0; attempt < 200; attempt++) {
      child.kill('SIGSTOP');
      try {
        db.exec('BEGIN IMMEDIATE');
        db.exec('ROLLBACK');
        return;
      } catch {
        child.kill('SIGCONT');
        await pause(3);
      }
    }
    throw new Error('the snapshot never released the catalog write lock');
  } finally {
    db.close();
  }
}
