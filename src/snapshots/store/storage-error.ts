/**
 * The one error a store backend's failures reach callers as: what kind of failure (so callers act
 * on it without knowing SQLite result codes, errno values or HTTP statuses) and a sentence naming
 * the backend and the cause. The backend is named as operators configured it, never with a
 * password (a PostgreSQL URL or S3 credentials are described, not quoted).
 */
export type StorageErrorKind =
  /** Out of space (a full disk, a quota). */
  | 'full'
  /** Refuses writes (a read-only mount, missing permission, a read-only replica). */
  | 'read-only'
  /** Cannot be reached or answered with a transient failure (connection refused, timeout, 503). */
  | 'unavailable'
  /** Answers, but what it holds is damaged (a corrupt catalog file or table). */
  | 'damaged'
  /** Any other failure of the backend (an I/O error, a constraint the backend reports). */
  | 'failed';

export class StorageError extends Error {
  override readonly name = 'StorageError';

  constructor(
    readonly kind: StorageErrorKind,
    /** The backend as operators know it: "./data", "PostgreSQL mtm@db.example:5432/mtm", "S3 bucket mtm at https://s3.example". */
    readonly backend: string,
    /** The cause in a few words, e.g. "ENOSPC: no space left on device; SQLITE_FULL" (no password). */
    readonly detail: string,
    options?: { cause?: unknown },
  ) {
    super(StorageError.sentence(kind, backend, detail), options);
  }

  static sentence(kind: StorageErrorKind, backend: string, detail: string): string {
    switch (kind) {
      case 'full':
        return `the store ${backend} is full (${detail})`;
      case 'read-only':
        return `the store ${backend} is read-only (${detail})`;
      case 'unavailable':
        return `the store ${backend} is unavailable (${detail})`;
      case 'damaged':
        return `the store ${backend} is damaged (${detail})`;
      default:
        return `the store ${backend} failed (${detail})`;
    }
  }

  /** The store cannot take writes now (full or read-only): snapshots and restores are refused, reads go on. */
  get refusesWrites(): boolean {
    return this.kind === 'full' || this.kind === 'read-only';
  }
}
