/** The embedded store: blobs under <path>/blobs, the catalog in <path>/catalog.sqlite. */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore, type BlobDamageObserver, type BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import { checkCatalogFile, SqliteCatalog, type CatalogHealth } from './sqlite-catalog.js';

export type { CatalogHealth } from './sqlite-catalog.js';

export interface Store {
  path: string;
  blobs: BlobStore;
  catalog: Catalog;
  /** Why the store was opened read-only (nothing can be written through it), or null. */
  readOnly: string | null;
  /** A store failure (full, read-only) as a sentence naming the store; null for other errors. */
  describeFailure(error: unknown): Error | null;
  close(): Promise<void>;
}

/**
 * - `write`: snapshots, prune, restores.
 * - `read`: list, verify, export — they never write, so they work from a read-only or full store.
 * - `serve`: writable if possible, else read-only, so snapshots stay reachable exactly when the
 *   disk has filled or been remounted read-only (Store.readOnly says why).
 */
export type StoreAccess = 'write' | 'read' | 'serve';

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTLOCK']);

/** A full or unwritable store as one sentence that names it and the cause; null for anything else. */
export function describeStoreFailure(path: string, error: unknown): Error | null {
  const code = String((error as { code?: unknown })?.code ?? '');
  if (FULL_CODES.has(code)) return new Error(`the store ${path} is full (ENOSPC: no space left on device; ${code})`);
  if (READ_ONLY_CODES.has(code)) return new Error(`the store ${path} is read-only (${code})`);
  return null;
}

/** `onDamage` hears of every read that finds a stored message damaged (to log and count it). */
export function openStore(path: string, access: StoreAccess = 'write', onDamage?: BlobDamageObserver): Store {
  const assemble = (catalog: SqliteCatalog, readOnly: string | null): Store => ({
    path,
    blobs: new FileBlobStore(path, onDamage),
    catalog,
    readOnly,
    describeFailure: (error) => describeStoreFailure(path, error),
    close: () => catalog.close(),
  });
  const openReadOnly = (): SqliteCatalog => {
    const file = join(path, 'catalog.sqlite');
    if (!existsSync(file)) throw new Error(`no store at ${path} (no catalog.sqlite: has a snapshot run yet?)`);
    return new SqliteCatalog(file, { readOnly: true });
  };
  if (access === 'read') {
    // No snapshot has run yet: an empty store, without creating one just to read it.
    if (!existsSync(join(path, 'catalog.sqlite'))) return assemble(new SqliteCatalog(':memory:'), 'opened for reading');
    return assemble(openReadOnly(), 'opened for reading');
  }
  try {
    mkdirSync(join(path, 'blobs'), { recursive: true });
    return assemble(new SqliteCatalog(join(path, 'catalog.sqlite')), null);
  } catch (error) {
    const failure = describeStoreFailure(path, error) ?? cannotWrite(path, error);
    if (access !== 'serve' || !failure) throw failure ?? error;
    try {
      return assemble(openReadOnly(), failure.message);
    } catch {
      throw failure;
    }
  }
}

/**
 * What opening for writing meets on a store it cannot write besides describeStoreFailure's codes:
 * SQLite's when it cannot create its -wal/-shm files beside a catalog it could read, and a failed
 * mkdir (a recursive mkdir on a read-only mount reports ENOENT).
 */
export function cannotWrite(path: string, error: unknown): Error | null {
  const { code = '', syscall } = (error ?? {}) as { code?: string; syscall?: string };
  const unwritable = code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || syscall === 'mkdir';
  return unwritable ? new Error(`the store ${path} cannot be written (${code})`) : null;
}

/**
 * Checks the store's catalog without opening the store (so without creating or changing anything):
 * for `mtm verify` (thorough) and `mtm doctor` (quick). A damaged catalog may not even open.
 */
export function checkCatalog(path: string, options: { thorough: boolean }): CatalogHealth {
  return checkCatalogFile(join(path, 'catalog.sqlite'), options);
}

/** One line for operators about a catalog check, and whether it is a failure. */
export function describeCatalogHealth(path: string, health: CatalogHealth): { ok: boolean; text: string } {
  const file = join(path, 'catalog.sqlite');
  switch (health.state) {
    case 'absent':
      return { ok: true, text: `no catalog yet at ${file} (no snapshot taken)` };
    case 'intact':
      return { ok: true, text: `${file} passes SQLite's integrity check` };
    case 'damaged': {
      const shown = health.problems.slice(0, 5).join('; ');
      const more = health.problems.length > 5 ? ` (and ${health.problems.length - 5} more findings)` : '';
      return { ok: false, text: `${file} is damaged: ${shown}${more}. Logins and reads that touch the damage fail until it is repaired: restore catalog.sqlite (with its -wal file) from a backup taken with mtm stopped, or rebuild it with sqlite3's .recover` };
    }
    default:
      return { ok: false, text: `cannot check ${file}: ${health.problem}` };
  }
}
