/**
 * Raw messages, content-addressed by SHA-256, kept per account: every call names the account, so
 * no blob is ever found through another account. Implementations: embedded/file-blob-store.ts
 * (files under store.path); test/snapshots/store/contract/blob-store.ts is what each must pass.
 */
import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';

export { BlobDamagedError, type BlobDamageObserver } from './blob-damage.js';

export interface StoredBlob {
  hash: string;
  size: number;
  storedBytes: number;
  /** false when the blob was already there (deduplicated). */
  written: boolean;
}

/** The blob half of the store. */
export interface BlobStore {
  /** `hash`: the SHA-256 of `raw` when the caller has computed it already. */
  put(account: string, raw: Buffer, hash?: string): Promise<StoredBlob>;
  has(account: string, hash: string): Promise<boolean>;
  /**
   * Raw bytes [start, end); streams chunk by chunk. Every read below checks what it reads: damaged
   * stored bytes make it fail with BlobDamagedError, never hand on wrong bytes.
   */
  read(account: string, hash: string, start?: number, end?: number): Readable;
  /** Rejects with BlobDamagedError unless the stored bytes behind [start, end) are intact (see FileBlobStore). */
  checkIntact(account: string, hash: string, start?: number, end?: number): Promise<void>;
  /** Raw bytes [start, end) in one buffer: for headers, small sections and small messages. */
  readRange(account: string, hash: string, start?: number, end?: number): Promise<Buffer>;
  /** The whole message; with `checkHash`, also checked against its SHA-256 name (before a restore writes it anywhere). */
  readAll(account: string, hash: string, options?: { checkHash?: boolean }): Promise<Buffer>;
  remove(account: string, hash: string): Promise<void>;
  /** Hashes present for the account (for verify and orphan collection). */
  list(account: string): AsyncIterable<string>;
  storedBytes(account: string, hash: string): Promise<number>;
  /** Makes every write since the last call durable (directory entries included). */
  flush(account: string): Promise<void>;
  /** Deletes half-written temporaries (a writer killed mid-put) older than `olderThanMs`; returns how many. */
  sweepTemporaries(account: string, olderThanMs: number): Promise<number>;
  /**
   * Deletes the account's blobs stored more than `olderThanMs` ago that `isReferenced` disowns (left
   * by a crash between put and the catalog entry); younger ones may belong to a run in progress.
   * Asks `isReferenced` only about blobs old enough. Returns how many it deleted.
   */
  removeOrphans(account: string, olderThanMs: number, isReferenced: (hash: string) => Promise<boolean>): Promise<number>;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}
