/** The embedded store: blobs under <path>/blobs, the catalog in <path>/catalog.sqlite. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileBlobStore, type BlobDamageObserver, type BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import { checkCatalogFile, SqliteCatalog, type CatalogHealth } from './sqlite-catalog.js';

export type { CatalogHealth } from './sqlite-catalog.js';

export interface Store {
  path: string;
  blobs: BlobStore;
  catalog: Catalog;
  close(): Promise<void>;
}

/** `onDamage` hears of every read that finds a stored message damaged (to log and count it). */
export function openStore(path: string, onDamage?: BlobDamageObserver): Store {
  mkdirSync(join(path, 'blobs'), { recursive: true });
  const catalog = new SqliteCatalog(join(path, 'catalog.sqlite'));
  return { path, blobs: new FileBlobStore(path, onDamage), catalog, close: () => catalog.close() };
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
