/**
 * Raw messages, content-addressed by SHA-256, kept per account. An account's blobs live in a
 * directory of their own and every call names the account, so no blob is ever found through
 * another account. Writes are atomic: temp file, fsync, rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync, writevSync, promises as fs, constants as fsConstants } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BLOB_MAGIC, decodeChunk, encodeBlob, FIXED_HEADER_BYTES, headerBytesFor, parseLayout, type BlobLayout } from './blob-codec.js';

export interface StoredBlob {
  hash: string;
  size: number;
  storedBytes: number;
  /** false when the blob was already there (deduplicated). */
  written: boolean;
}

/** The blob half of the store; a filesystem today, S3-compatible storage later. */
export interface BlobStore {
  /** `hash`: the SHA-256 of `raw` when the caller has computed it already. */
  put(account: string, raw: Buffer, hash?: string): Promise<StoredBlob>;
  has(account: string, hash: string): Promise<boolean>;
  /** Raw bytes [start, end); streams chunk by chunk. */
  read(account: string, hash: string, start?: number, end?: number): Readable;
  /** Raw bytes [start, end) in one buffer: for headers, small sections and small messages. */
  readRange(account: string, hash: string, start?: number, end?: number): Promise<Buffer>;
  readAll(account: string, hash: string): Promise<Buffer>;
  remove(account: string, hash: string): Promise<void>;
  /** Hashes present for the account (for verify and orphan collection). */
  list(account: string): AsyncIterable<string>;
  storedBytes(account: string, hash: string): Promise<number>;
  /** Makes every write since the last call durable (directory entries included). */
  flush(account: string): Promise<void>;
  /** Deletes half-written temporaries (a writer killed mid-put) older than `olderThanMs`; returns how many. */
  sweepTemporaries(account: string, olderThanMs: number): Promise<number>;
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const fsyncFile = promisify(fsync);

const HASH_PATTERN = /^[0-9a-f]{64}$/;
/** What `put` writes before its rename: `.<hash>.<pid>.<random>.tmp`. */
const TEMPORARY_PATTERN = /^\.[0-9a-f]{64}\.\d+\.[0-9a-f]+\.tmp$/;

/** Directory name for an account: reversible, and never `.`/`..` or containing a separator. */
export function accountDirectoryName(account: string): string {
  return encodeURIComponent(account).replace(/\./g, '%2E').replace(/\*/g, '%2A');
}

/** First read of a blob file: 64 KiB holds the chunk table and all of a typical stored message. */
const PROBE_BYTES = 64 * 1024;

interface OpenedBlob {
  handle: fs.FileHandle;
  layout: BlobLayout;
  /** The file's first bytes as read when opening. */
  probe: Buffer;
}

export class FileBlobStore implements BlobStore {
  private readonly dirtyDirectories = new Map<string, Set<string>>();
  /** Blob directories known to exist; blobs are removed but their directories never are. */
  private readonly madeDirectories = new Set<string>();

  constructor(private readonly root: string) {}

  /** Random per store object, counting per put: unique without a random draw for every blob. */
  private readonly temporaryPrefix = randomBytes(4).toString('hex');
  private temporaryCount = 0;

  private nextTemporarySuffix(): string {
    this.temporaryCount += 1;
    return `${this.temporaryPrefix}${this.temporaryCount.toString(16)}`;
  }

  private accountDirectory(account: string): string {
    if (!account) throw new Error('blob access without an account');
    return join(this.root, 'blobs', accountDirectoryName(account));
  }

  private pathOf(account: string, hash: string): string {
    if (!HASH_PATTERN.test(hash)) throw new Error(`not a blob hash: ${hash.slice(0, 80)}`);
    return join(this.accountDirectory(account), hash.slice(0, 2), hash);
  }

  /**
   * Writes go to the page cache synchronously (microseconds each); only fsync, which waits for the
   * disk, goes to the thread pool. Five thread-pool round trips per message were most of the
   * snapshot's event-loop time. The file is durable before it gets its name, so a blob file that
   * exists is always complete.
   */
  async put(account: string, raw: Buffer, hash = sha256(raw)): Promise<StoredBlob> {
    const target = this.pathOf(account, hash);
    const existing = statSync(target, { throwIfNoEntry: false });
    if (existing) return { hash, size: raw.length, storedBytes: existing.size, written: false };
    const directory = join(this.accountDirectory(account), hash.slice(0, 2));
    if (!this.madeDirectories.has(directory)) {
      mkdirSync(directory, { recursive: true });
      this.madeDirectories.add(directory);
    }
    const temporary = join(directory, `.${hash}.${process.pid}.${this.nextTemporarySuffix()}.tmp`);
    const parts = await encodeBlob(raw);
    const storedBytes = parts.reduce((sum, part) => sum + part.length, 0);
    const fd = openSync(temporary, 'w', 0o640);
    try {
      try {
        const written = writevSync(fd, parts, 0);
        // writev may stop short (a signal, a nearly full disk); finish with plain writes.
        if (written < storedBytes) {
          const rest = Buffer.concat(parts).subarray(written);
          for (let done = 0; done < rest.length; ) done += writeSync(fd, rest, done, rest.length - done, written + done);
        }
        await fsyncFile(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(temporary, target);
    } catch (error) {
      // A full disk: the half-written temporary would only take more of the space that ran out.
      rmSync(temporary, { force: true });
      throw error;
    }
    let dirty = this.dirtyDirectories.get(account);
    if (!dirty) this.dirtyDirectories.set(account, (dirty = new Set()));
    dirty.add(directory);
    return { hash, size: raw.length, storedBytes, written: true };
  }

  async flush(account: string): Promise<void> {
    const dirty = this.dirtyDirectories.get(account);
    if (!dirty) return;
    this.dirtyDirectories.delete(account);
    dirty.add(this.accountDirectory(account));
    for (const directory of dirty) {
      const handle = await fs.open(directory, fsConstants.O_RDONLY);
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    }
  }

  async has(account: string, hash: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(account, hash));
      return true;
    } catch {
      return false;
    }
  }

  async storedBytes(account: string, hash: string): Promise<number> {
    return (await fs.stat(this.pathOf(account, hash))).size;
  }

  /**
   * Opens a blob with one read of its first PROBE_BYTES: that covers the chunk table and, for most
   * messages, the whole stored blob, so a small read costs open, read, close.
   */
  private async openBlob(path: string): Promise<OpenedBlob> {
    const handle = await fs.open(path, 'r');
    try {
      const probe = Buffer.allocUnsafe(PROBE_BYTES);
      const { bytesRead } = await handle.read(probe, 0, PROBE_BYTES, 0);
      let head = probe.subarray(0, bytesRead);
      const chunkCount = bytesRead >= FIXED_HEADER_BYTES && head.subarray(0, 4).toString() === 'MTMB' ? head.readUInt32BE(17) : 0;
      if (headerBytesFor(chunkCount) > bytesRead && bytesRead === PROBE_BYTES) {
        // A chunk table longer than the probe (a message of several hundred MB).
        head = Buffer.alloc(headerBytesFor(chunkCount));
        await handle.read(head, 0, head.length, 0);
      }
      return { handle, layout: parseLayout(head), probe: probe.subarray(0, bytesRead) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The plain bytes of chunks [first, last], one at a time, taken from the probe when it holds them. */
  private static async *plainChunks(blob: OpenedBlob, hash: string, first: number, last: number): AsyncGenerator<Buffer> {
    for (let index = first; index <= last; index++) {
      const chunk = blob.layout.chunks[index];
      let stored: Buffer;
      if (chunk.offset + chunk.storedLength <= blob.probe.length) {
        stored = blob.probe.subarray(chunk.offset, chunk.offset + chunk.storedLength);
        // An uncompressed chunk would otherwise keep the whole probe alive in whoever holds it.
        if (!chunk.deflated) stored = Buffer.from(stored);
      } else {
        stored = Buffer.alloc(chunk.storedLength);
        const { bytesRead } = await blob.handle.read(stored, 0, chunk.storedLength, chunk.offset);
        if (bytesRead !== chunk.storedLength) throw new Error(`blob ${hash} is truncated`);
      }
      yield decodeChunk(stored, chunk.deflated, chunk.plainLength);
    }
  }

  /**
   * Streams stay on async file reads, unlike readRange: with synchronous chunk reads a slow
   * client's 30 MB mbox download grew the server by 22 MB, past the 15 MB bound of
   * test/recovery/http-api.test.ts; and beside a 256 KiB chunk the thread-pool round trip is small.
   */
  read(account: string, hash: string, start = 0, end?: number): Readable {
    const path = this.pathOf(account, hash);
    const openBlob = (target: string) => this.openBlob(target);
    async function* chunks(): AsyncGenerator<Buffer> {
      const blob = await openBlob(path);
      try {
        const { layout } = blob;
        const stop = Math.min(end ?? layout.rawSize, layout.rawSize);
        if (start >= stop) return;
        const first = Math.floor(start / layout.chunkSize);
        const last = Math.floor((stop - 1) / layout.chunkSize);
        let chunkStart = first * layout.chunkSize;
        for await (const plain of FileBlobStore.plainChunks(blob, hash, first, last)) {
          yield plain.subarray(Math.max(0, start - chunkStart), Math.min(plain.length, stop - chunkStart));
          chunkStart += layout.chunkSize;
        }
      } finally {
        await blob.handle.close();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /**
   * Synchronous file I/O on purpose: a small blob is one read from the page cache (~20 µs), while
   * the three thread-pool round trips of async open/read/close cost ~1 ms each under load. The
   * event loop loses less by blocking briefly; big bodies go through read(), which streams.
   */
  async readRange(account: string, hash: string, start = 0, end?: number): Promise<Buffer> {
    const path = this.pathOf(account, hash);
    const fd = openSync(path, 'r');
    try {
      const probe = Buffer.allocUnsafe(PROBE_BYTES);
      const bytesRead = readSync(fd, probe, 0, PROBE_BYTES, 0);
      let head = probe.subarray(0, bytesRead);
      const chunkCount = bytesRead >= FIXED_HEADER_BYTES && head.subarray(0, 4).equals(BLOB_MAGIC) ? head.readUInt32BE(17) : 0;
      if (headerBytesFor(chunkCount) > bytesRead && bytesRead === PROBE_BYTES) {
        head = Buffer.alloc(headerBytesFor(chunkCount));
        readSync(fd, head, 0, head.length, 0);
      }
      const layout = parseLayout(head);
      const stop = Math.min(end ?? layout.rawSize, layout.rawSize);
      if (start >= stop) return Buffer.alloc(0);
      const first = Math.floor(start / layout.chunkSize);
      const last = Math.floor((stop - 1) / layout.chunkSize);
      const parts: Buffer[] = [];
      for (let index = first; index <= last; index++) {
        const chunk = layout.chunks[index];
        let stored: Buffer;
        if (chunk.offset + chunk.storedLength <= bytesRead) {
          stored = probe.subarray(chunk.offset, chunk.offset + chunk.storedLength);
        } else {
          stored = Buffer.allocUnsafe(chunk.storedLength);
          if (readSync(fd, stored, 0, chunk.storedLength, chunk.offset) !== chunk.storedLength) throw new Error(`blob ${hash} is truncated`);
        }
        // An uncompressed chunk is copied: a view would keep the whole probe alive in whoever holds it.
        parts.push(chunk.deflated ? decodeChunk(stored, true, chunk.plainLength) : Buffer.from(stored));
      }
      const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      const offset = first * layout.chunkSize;
      return whole.subarray(start - offset, stop - offset);
    } finally {
      closeSync(fd);
    }
  }

  readAll(account: string, hash: string): Promise<Buffer> {
    return this.readRange(account, hash);
  }

  async remove(account: string, hash: string): Promise<void> {
    await fs.rm(this.pathOf(account, hash), { force: true });
  }

  async sweepTemporaries(account: string, olderThanMs: number): Promise<number> {
    const base = this.accountDirectory(account);
    let prefixes: string[];
    try {
      prefixes = await fs.readdir(base);
    } catch {
      return 0;
    }
    let removed = 0;
    for (const prefix of prefixes) {
      const names = await fs.readdir(join(base, prefix)).catch(() => [] as string[]);
      for (const name of names) {
        if (!TEMPORARY_PATTERN.test(name)) continue;
        const path = join(base, prefix, name);
        const stat = await fs.stat(path).catch(() => null);
        if (stat && Date.now() - stat.mtimeMs > olderThanMs) {
          await fs.rm(path, { force: true });
          removed += 1;
        }
      }
    }
    return removed;
  }

  async *list(account: string): AsyncIterable<string> {
    const base = this.accountDirectory(account);
    let prefixes: string[];
    try {
      prefixes = await fs.readdir(base);
    } catch {
      return;
    }
    for (const prefix of prefixes.sort()) {
      let names: string[];
      try {
        names = await fs.readdir(join(base, prefix));
      } catch {
        continue;
      }
      for (const name of names.sort()) if (HASH_PATTERN.test(name)) yield name;
    }
  }
}
