/**
 * The embedded store (the default): blobs under <path>/blobs, the catalog in <path>/catalog.sqlite,
 * restore jobs in <path>/recovery/jobs.sqlite. The only code that knows those files.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { JobStore } from '../../../recovery/jobs.js';
import type { BlobBackend, BlobBackendFactory, CatalogBackend, CatalogBackendFactory } from '../backend.js';
import type { StorageError } from '../storage-error.js';
import type { IntegrityReport, StoreAccess, StoreObserver, StoreSettings } from '../store.js';
import { retryingWhenBusy } from './busy-retry.js';
import { classifyEmbeddedFailure } from './failures.js';
import { FileBlobStore } from './file-blob-store.js';
import { checkCatalogFile, SqliteCatalog, type CatalogHealth } from './sqlite-catalog.js';
import { SqliteJobStore } from './sqlite-jobs.js';

const catalogFileOf = (path: string) => join(path, 'catalog.sqlite');

function fileSize(file: string): number {
  return statSync(file, { throwIfNoEntry: false })?.size ?? 0;
}

/** The failure that makes `serve` fall back to read-only, or rethrown. */
function unwritable(path: string, error: unknown): StorageError {
  const failure = classifyEmbeddedFailure(path, error, { opening: true });
  if (!failure?.refusesWrites) throw failure ?? error;
  return failure;
}

function openCatalog(path: string, access: StoreAccess, searchIndex: boolean): { catalog: SqliteCatalog; readOnly: string | null } {
  const file = catalogFileOf(path);
  const openReadOnly = (): SqliteCatalog => {
    if (!existsSync(file)) throw new Error(`no store at ${path} (no catalog.sqlite: has a snapshot run yet?)`);
    return new SqliteCatalog(file, { readOnly: true, searchIndex });
  };
  if (access === 'read') {
    // No snapshot has run yet: an empty store, without creating one just to read it.
    if (!existsSync(file)) return { catalog: new SqliteCatalog(':memory:', { searchIndex }), readOnly: 'opened for reading' };
    return { catalog: openReadOnly(), readOnly: 'opened for reading' };
  }
  try {
    mkdirSync(path, { recursive: true });
    return { catalog: retryingWhenBusy(new SqliteCatalog(file, { searchIndex })), readOnly: null };
  } catch (error) {
    const failure = unwritable(path, error);
    if (access !== 'serve') throw failure;
    try {
      return { catalog: openReadOnly(), readOnly: failure.message };
    } catch {
      throw failure;
    }
  }
}

/** One line for operators about a catalog check, and whether it is a failure. */
export function describeCatalogHealth(path: string, health: CatalogHealth): IntegrityReport {
  const file = catalogFileOf(path);
  switch (health.state) {
    case 'absent':
      return { ok: true, text: `no catalog yet at ${file} (no snapshot taken)` };
    case 'intact':
      return { ok: true, text: `${file} passes SQLite's integrity check` };
    case 'damaged': {
      const shown = health.problems.slice(0, 5).join('; ');
      const more = health.problems.length > 5 ? ` (and ${health.problems.length - 5} more findings)` : '';
      return {
        ok: false,
        text: `${file} is damaged: ${shown}${more}. Logins and reads that touch the damage fail until it is repaired: restore catalog.sqlite (with its -wal file) from a backup taken with mtm stopped, or rebuild it with sqlite3's .recover`,
        repair: 'stop mtm, put back catalog.sqlite from a backup (or rebuild it with sqlite3 .recover), then run mtm verify',
      };
    }
    default:
      return { ok: false, text: `cannot check ${file}: ${health.problem}`, repair: 'stop mtm, put back catalog.sqlite from a backup (or rebuild it with sqlite3 .recover), then run mtm verify' };
  }
}

/** Checks the catalog file without opening the store (so without creating or changing anything). */
function checkIntegrity(path: string, options: { thorough: boolean }): IntegrityReport {
  return describeCatalogHealth(path, checkCatalogFile(catalogFileOf(path), options));
}

export const embeddedCatalogBackend: CatalogBackendFactory = {
  async open(settings: StoreSettings, access: StoreAccess): Promise<CatalogBackend> {
    const { path } = settings;
    const { catalog, readOnly } = openCatalog(path, access, settings.searchIndex ?? true);
    // Opened on first use, as before the store owned it: read-only commands never create jobs.sqlite.
    let jobs: SqliteJobStore | null = null;
    return {
      description: path,
      catalog,
      get jobs(): JobStore {
        return (jobs ??= new SqliteJobStore(path));
      },
      readOnly,
      describeFailure: (error) => classifyEmbeddedFailure(path, error),
      catalogBytes: async () => fileSize(catalogFileOf(path)) + fileSize(`${catalogFileOf(path)}-wal`),
      searchIndexBytes: async () => catalog.searchIndexBytes(),
      checkIntegrity: async (options) => checkIntegrity(path, options),
      probe: async () => [],
      async close() {
        try {
          await jobs?.close();
        } finally {
          await catalog.close();
        }
      },
    };
  },
  probe: async () => [],
  checkIntegrity: async (settings, options) => checkIntegrity(settings.path, options),
};

export const embeddedBlobBackend: BlobBackendFactory = {
  async open(settings: StoreSettings, access: StoreAccess, observer: StoreObserver): Promise<BlobBackend> {
    const { path } = settings;
    let readOnly: string | null = access === 'read' ? 'opened for reading' : null;
    if (access !== 'read') {
      try {
        mkdirSync(join(path, 'blobs'), { recursive: true });
      } catch (error) {
        const failure = unwritable(path, error);
        if (access !== 'serve') throw failure;
        readOnly = failure.message;
      }
    }
    return {
      description: path,
      blobs: new FileBlobStore(path, (damage) => observer.blobDamaged?.(damage)),
      readOnly,
      describeFailure: (error) => classifyEmbeddedFailure(path, error),
      probe: async () => [],
      close: async () => undefined,
    };
  },
  probe: async () => [],
};
