/**
 * The store as the rest of mtm sees it: a Catalog, a BlobStore and a JobStore, opened together
 * from the `store` settings, plus what operators ask of it (sizes, a probe, an integrity check).
 * Nothing outside src/snapshots/store knows which backend holds the data: failures arrive as
 * StorageError, never as SQLite codes, errno values or file paths to stat.
 *
 * Backends: embedded/ (SQLite catalog and jobs + blob files under `path`, the default). A backend
 * provides a CatalogBackend and/or a BlobBackend (backend.ts); open.ts picks them from the settings.
 * test/snapshots/store/contract/ is what every implementation must pass.
 */
import type { JobStore } from '../../recovery/jobs.js';
import type { BlobDamagedError, BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import type { StorageError } from './storage-error.js';

export { openStore, probeStore, checkStoreIntegrity } from './open.js';
export { StorageError, type StorageErrorKind } from './storage-error.js';

/** S3-compatible object storage for blobs (issue 14). */
export interface S3StoreSettings {
  endpoint?: string;
  region?: string;
  bucket: string;
  prefix?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  forcePathStyle?: boolean;
}

/** The `store` config section. */
export interface StoreSettings {
  /** The embedded store's directory; with postgres and s3 both set, only local scratch and caches. */
  path: string;
  /** When set: the catalog and restore jobs live in PostgreSQL. */
  postgres?: { url: string } | undefined;
  /** When set: blobs live in S3-compatible object storage. */
  s3?: S3StoreSettings | undefined;
  /** Index the searchable text of new messages for SEARCH TEXT/BODY (default true). */
  searchIndex?: boolean;
}

/**
 * - `write`: snapshots, prune, restores.
 * - `read`: list, verify, export — they never write, so they work from a read-only or full store.
 * - `serve`: writable if possible, else read-only, so snapshots stay reachable exactly when the
 *   disk has filled or been remounted read-only (Store.readOnly says why).
 */
export type StoreAccess = 'write' | 'read' | 'serve';

/** What the store tells whoever opened it (to log and count); every member optional. */
export interface StoreObserver {
  /** A read found a stored message damaged, once per detection. */
  blobDamaged?(damage: BlobDamagedError): void;
  /** A call to a remote backend finished (latency and errors for /metrics). */
  backendCall?(call: { backend: string; operation: string; seconds: number; ok: boolean }): void;
  /** Something operators should know that does not stop the store (the search index cannot be made). */
  notice?(text: string): void;
}

export interface StoreSizes {
  /** Bytes the catalog takes in its backend (SQLite: the file and its WAL; PostgreSQL: the database). */
  catalogBytes: number;
  /** The part of catalogBytes the search index takes (store.searchIndex). */
  searchIndexBytes: number;
  /** Stored (compressed) bytes of the blobs the catalog references, over all accounts. */
  blobBytes: number;
  /** Blobs the catalog references, over all accounts. */
  blobCount: number;
}

/** One backend's answer to "can you take writes?", for /readyz and mtm doctor. Never throws, never holds a password. */
export interface StoreProbe {
  /** What was probed: "store" for the embedded store; e.g. "postgres", "s3" for remote ones. */
  part: string;
  ok: boolean;
  /** One sentence naming the backend and the finding: "./data is writable", "cannot reach S3 bucket mtm at … (connection refused)". */
  detail: string;
  /** For a failure: what the operator should do. */
  fix?: string;
  /** Free and total bytes where the backend sits on a local disk. */
  space?: { free: number; total: number };
  /** Why the free space of a local disk could not be read. */
  spaceProblem?: string;
}

/** The catalog's own consistency check (mtm verify: thorough; mtm doctor: quick). */
export interface IntegrityReport {
  ok: boolean;
  /** One line for operators: what was checked and what it found. */
  text: string;
  /** For a failure: how to repair it. */
  repair?: string;
}

export interface Store {
  /** The backends in words for messages and logs ("./data", "PostgreSQL mtm@db:5432/mtm + S3 bucket mtm"), never a password. */
  readonly description: string;
  readonly blobs: BlobStore;
  readonly catalog: Catalog;
  readonly jobs: JobStore;
  /** Why the store was opened read-only (nothing can be written through it), or null. */
  readonly readOnly: string | null;
  /**
   * An error met while using the store as a StorageError naming the backend and the cause; null
   * for errors that did not come from the store (they pass on unchanged).
   */
  describeFailure(error: unknown): StorageError | null;
  sizes(): Promise<StoreSizes>;
  /** Reachable and writable? One probe per backend. */
  probe(): Promise<StoreProbe[]>;
  checkIntegrity(options: { thorough: boolean }): Promise<IntegrityReport>;
  close(): Promise<void>;
}
