/**
 * The embedded store's failures (SQLite result codes and errno values) as StorageError: the only
 * place that knows those codes, so callers classify by StorageError.kind.
 */
import { StorageError } from '../storage-error.js';
import { BlobDamagedError } from '../blob-damage.js';

const FULL_CODES = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);
const READ_ONLY_CODES = new Set(['EROFS', 'EACCES', 'EPERM', 'SQLITE_READONLY', 'SQLITE_READONLY_DBMOVED', 'SQLITE_READONLY_DIRECTORY', 'SQLITE_READONLY_CANTINIT', 'SQLITE_READONLY_RECOVERY', 'SQLITE_READONLY_CANTLOCK']);

/** SQLite's result codes for a damaged file (SQLITE_CORRUPT and SQLITE_NOTADB, with extended codes). */
export function isSqliteCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

/**
 * A failure of the embedded store at `path` as a StorageError, or null when the error did not come
 * from the store (a live-server error passing through, a bug). `opening`: what opening for writing
 * meets on a store it cannot write besides the read-only codes — SQLite's when it cannot create its
 * -wal/-shm files beside a catalog it could read, and a failed mkdir (a recursive mkdir on a
 * read-only mount reports ENOENT).
 */
export function classifyEmbeddedFailure(path: string, error: unknown, options: { opening?: boolean } = {}): StorageError | null {
  if (error instanceof StorageError) return error;
  if (error instanceof BlobDamagedError) return null;
  const { code: rawCode, syscall } = (error ?? {}) as { code?: unknown; syscall?: string };
  const code = typeof rawCode === 'string' ? rawCode : '';
  if (FULL_CODES.has(code)) return new StorageError('full', path, `ENOSPC: no space left on device; ${code}`, { cause: error });
  if (READ_ONLY_CODES.has(code)) return new StorageError('read-only', path, code, { cause: error });
  if (options.opening && (code.startsWith('SQLITE_CANTOPEN') || code.startsWith('SQLITE_IOERR') || syscall === 'mkdir')) {
    return new StorageError('read-only', path, `${code}: cannot be written`, { cause: error });
  }
  if (isSqliteCorruption(error)) return new StorageError('damaged', path, `${code}: ${(error as Error).message}`, { cause: error });
  if (code.startsWith('SQLITE') || syscall) return new StorageError('failed', path, `${code}: ${(error as Error).message}`, { cause: error });
  return null;
}
