/**
 * What a storage backend provides, for whoever writes one (open.ts assembles the Store from a
 * catalog backend and a blob backend chosen by the settings). The catalog backend also keeps the
 * restore jobs: they live in the catalog's database wherever that is.
 */
import type { JobStore } from '../../recovery/jobs.js';
import type { BlobStore } from './blob-store.js';
import type { Catalog } from './catalog.js';
import type { StorageError } from './storage-error.js';
import type { IntegrityReport, StoreAccess, StoreObserver, StoreProbe, StoreSettings } from './store.js';

interface OpenedBackend {
  /** The backend in words for messages, never with a password. */
  readonly description: string;
  /** Why it was opened read-only (access `read`, or `serve` on a backend refusing writes), or null. */
  readonly readOnly: string | null;
  /** This backend's errors as StorageError; null for errors it did not raise. */
  describeFailure(error: unknown): StorageError | null;
  /** Remote parts only: reachable, credentials, write+read+delete. The local directory is probed by open.ts. */
  probe(): Promise<StoreProbe[]>;
  close(): Promise<void>;
}

export interface CatalogBackend extends OpenedBackend {
  readonly catalog: Catalog;
  /** Restore jobs, in the catalog's database. May be opened on first use (read-only commands never create it). */
  readonly jobs: JobStore;
  catalogBytes(): Promise<number>;
  /** The part of catalogBytes the search index takes (0 without one). */
  searchIndexBytes(): Promise<number>;
  checkIntegrity(options: { thorough: boolean }): Promise<IntegrityReport>;
}

export interface BlobBackend extends OpenedBackend {
  readonly blobs: BlobStore;
}

export interface CatalogBackendFactory {
  open(settings: StoreSettings, access: StoreAccess, observer: StoreObserver): Promise<CatalogBackend>;
  /** Like CatalogBackend.probe, without opening the store: nothing is created or changed. */
  probe(settings: StoreSettings): Promise<StoreProbe[]>;
  /** Without opening the store (a damaged catalog may not even open) and without changing anything. */
  checkIntegrity(settings: StoreSettings, options: { thorough: boolean }): Promise<IntegrityReport>;
}

export interface BlobBackendFactory {
  open(settings: StoreSettings, access: StoreAccess, observer: StoreObserver): Promise<BlobBackend>;
  probe(settings: StoreSettings): Promise<StoreProbe[]>;
}
