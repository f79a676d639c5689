/**
 * The embedded blob store: an account's blobs live in a directory of their own under
 * <store.path>/blobs, one file per blob in the chunked format of blob-codec.ts. Writes are atomic:
 * temp file, fsync, rename.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, fsync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync, writevSync, promises as fs, constants as fsConstants } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { BlobFormatError, checkChunk, decodeChunk, encodeBlob, fileLengthOf, headerLengthOf, LEGACY_VERSION, parseLayout, type BlobLayout } from '../blob-codec.js';
import { BlobDamagedError, type BlobDamageObserver } from '../blob-damage.js';
import { sha256, type BlobStore, type StoredBlob } from '../blob-store.js';

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
/**
 * The probe buffer of readRange, allocated once: readRange runs synchronously from its read to its
 * last use of the probe (inflated chunks are new buffers, uncompressed ones are copied out), so no
 * other read can touch it meanwhile. A fresh 64 KiB per message was a third of a folder-wide
 * BODY.PEEK[]'s garbage.
 */
const syncProbe = Buffer.allocUnsafeSlow(PROBE_BYTES);

interface OpenedBlob {
  handle: fs.FileHandle;
  layout: BlobLayout;
  /** The file's first bytes as read when opening. */
  probe: Buffer;
}

/** The chunks a byte range [start, stop) of the plain message touches. */
function chunkSpan(layout: BlobLayout, start: number, stop: number): { first: number; last: number } {
  return { first: Math.floor(start / layout.chunkSize), last: Math.floor((stop - 1) / layout.chunkSize) };
}

/**
 * A probe shorter than PROBE_BYTES is the whole file, so its length must be what the header
 * promises; a header longer than the probe must still fit in the file, so a damaged chunk count
 * never makes a reader allocate gigabytes.
 */
function checkLengths(probe: Buffer, headerLength: number, fileSize: () => number): void {
  const whole = probe.length < PROBE_BYTES;
  if (headerLength > probe.length && (whole || headerLength > fileSize())) throw new BlobFormatError('the file is truncated inside its chunk table');
}

function checkWholeFile(probe: Buffer, layout: BlobLayout): void {
  if (probe.length < PROBE_BYTES && fileLengthOf(layout) !== probe.length) {
    throw new BlobFormatError(`the file is ${probe.length} bytes long instead of ${fileLengthOf(layout)} (truncated or extended)`);
  }
}

/** Damage as the codec or the disk reports it; other errors (a missing file, no permission) are not damage. */
function damageProblem(error: unknown): string | null {
  if (error instanceof BlobFormatError) return error.message;
  if ((error as NodeJS.ErrnoException)?.code === 'EIO') return `the disk reported a read error (${(error as Error).message})`;
  return null;
}

export class FileBlobStore implements BlobStore {
  private readonly dirtyDirectories = new Map<string, Set<string>>();
  /** Blob directories known to exist; blobs are removed but their directories never are. */
  private readonly madeDirectories = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly onDamage: BlobDamageObserver = () => undefined,
  ) {}

  /** Random per store object, counting per put: unique without a random draw for every blob. */
  private readonly temporaryPrefix = randomBytes(4).toString('hex');
  private temporaryCount = 0;

  private nextTemporarySuffix(): string {
    this.temporaryCount += 1;
    return `${this.temporaryPrefix}${this.temporaryCount.toString(16)}`;
  }

  /** Per account: every read resolves its path, and encoding the name and joining it showed in read profiles. */
  private readonly accountDirectories = new Map<string, string>();

  private accountDirectory(account: string): string {
    if (!account) throw new Error('blob access without an account');
    let directory = this.accountDirectories.get(account);
    if (directory === undefined) {
      directory = join(this.root, 'blobs', accountDirectoryName(account));
      this.accountDirectories.set(account, directory);
    }
    return directory;
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

  /** Turns damage into BlobDamagedError (told to the observer once); other errors pass unchanged. */
  private asDamage(account: string, hash: string, error: unknown): unknown {
    if (error instanceof BlobDamagedError) return error;
    const problem = damageProblem(error);
    if (problem === null) return error;
    const damage = new BlobDamagedError(account, hash, problem);
    this.onDamage(damage);
    return damage;
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
      const view = probe.subarray(0, bytesRead);
      const headerLength = headerLengthOf(view);
      let head = view;
      if (headerLength > bytesRead) {
        const { size } = await handle.stat();
        checkLengths(view, headerLength, () => size);
        head = Buffer.alloc(headerLength);
        await handle.read(head, 0, headerLength, 0);
      }
      const layout = parseLayout(head);
      checkWholeFile(view, layout);
      return { handle, layout, probe: probe.subarray(0, bytesRead) };
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /** The stored bytes of one chunk, taken from the probe when it holds them. */
  private static async storedChunk(blob: OpenedBlob, index: number): Promise<Buffer> {
    const chunk = blob.layout.chunks[index];
    if (chunk.offset + chunk.storedLength <= blob.probe.length) {
      const stored = blob.probe.subarray(chunk.offset, chunk.offset + chunk.storedLength);
      // An uncompressed chunk would otherwise keep the whole probe alive in whoever holds it.
      return chunk.deflated ? stored : Buffer.from(stored);
    }
    const stored = Buffer.alloc(chunk.storedLength);
    const { bytesRead } = await blob.handle.read(stored, 0, chunk.storedLength, chunk.offset);
    return stored.subarray(0, bytesRead);
  }

  /** The plain bytes of chunks [first, last], one at a time, each checked before it is handed on. */
  private static async *plainChunks(blob: OpenedBlob, first: number, last: number): AsyncGenerator<Buffer> {
    for (let index = first; index <= last; index++) {
      yield decodeChunk(await FileBlobStore.storedChunk(blob, index), blob.layout.chunks[index], index);
    }
  }

  /**
   * A version 1 blob has no chunk checksums: it is checked whole against its SHA-256 name before
   * any of it is served, which costs one more pass over a big message read in parts.
   */
  private static async checkLegacyWhole(blob: OpenedBlob, hash: string): Promise<void> {
    const digest = createHash('sha256');
    for await (const plain of FileBlobStore.plainChunks(blob, 0, blob.layout.chunks.length - 1)) digest.update(plain);
    if (digest.digest('hex') !== hash) throw new BlobFormatError('the message does not match its SHA-256 (a version 1 blob, which has no chunk checksums)');
  }

  /**
   * Streams stay on async file reads, unlike readRange: with synchronous chunk reads a slow
   * client's 30 MB mbox download grew the server by 22 MB, past the 15 MB bound of
   * test/http/api/recovery-api.test.ts; and beside a 256 KiB chunk the thread-pool round trip is small.
   * Each chunk is checked before its bytes are yielded, so damaged bytes never leave.
   */
  read(account: string, hash: string, start = 0, end?: number): Readable {
    const path = this.pathOf(account, hash);
    const openBlob = (target: string) => this.openBlob(target);
    const asDamage = (error: unknown) => this.asDamage(account, hash, error);
    async function* chunks(): AsyncGenerator<Buffer> {
      let blob: OpenedBlob | null = null;
      try {
        blob = await openBlob(path);
        const { layout } = blob;
        const stop = Math.min(end ?? layout.rawSize, layout.rawSize);
        if (start >= stop) return;
        if (layout.version === LEGACY_VERSION) await FileBlobStore.checkLegacyWhole(blob, hash);
        const { first, last } = chunkSpan(layout, start, stop);
        let chunkStart = first * layout.chunkSize;
        for await (const plain of FileBlobStore.plainChunks(blob, first, last)) {
          yield plain.subarray(Math.max(0, start - chunkStart), Math.min(plain.length, stop - chunkStart));
          chunkStart += layout.chunkSize;
        }
      } catch (error) {
        throw asDamage(error);
      } finally {
        await blob?.handle.close();
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  /**
   * Checks, without inflating, that the stored bytes behind [start, end) are intact: for whoever
   * must announce a length before streaming (an IMAP literal, an HTTP status) and cannot take back
   * bytes already sent. The stream checks every chunk again as it reads it.
   */
  async checkIntact(account: string, hash: string, start = 0, end?: number): Promise<void> {
    const path = this.pathOf(account, hash);
    let blob: OpenedBlob | null = null;
    try {
      blob = await this.openBlob(path);
      const { layout } = blob;
      const stop = Math.min(end ?? layout.rawSize, layout.rawSize);
      if (start >= stop) return;
      if (layout.version === LEGACY_VERSION) return await FileBlobStore.checkLegacyWhole(blob, hash);
      const { first, last } = chunkSpan(layout, start, stop);
      for (let index = first; index <= last; index++) checkChunk(await FileBlobStore.storedChunk(blob, index), layout.chunks[index], index);
    } catch (error) {
      throw this.asDamage(account, hash, error);
    } finally {
      await blob?.handle.close();
    }
  }

  /**
   * Synchronous file I/O on purpose: a small blob is one read from the page cache (~20 µs), while
   * the three thread-pool round trips of async open/read/close cost ~1 ms each under load. The
   * event loop loses less by blocking briefly; big bodies go through read(), which streams.
   * Every chunk read is checked (a version 1 blob: the whole message against its hash).
   */
  async readRange(account: string, hash: string, start = 0, end?: number): Promise<Buffer> {
    const path = this.pathOf(account, hash);
    const fd = openSync(path, 'r');
    try {
      const probe = syncProbe;
      const bytesRead = readSync(fd, probe, 0, PROBE_BYTES, 0);
      const view = probe.subarray(0, bytesRead);
      const headerLength = headerLengthOf(view);
      let head = view;
      if (headerLength > bytesRead) {
        checkLengths(view, headerLength, () => fstatSync(fd).size);
        head = Buffer.alloc(headerLength);
        readSync(fd, head, 0, headerLength, 0);
      }
      const layout = parseLayout(head);
      checkWholeFile(view, layout);
      const stop = Math.min(end ?? layout.rawSize, layout.rawSize);
      if (start >= stop) return Buffer.alloc(0);
      const legacy = layout.version === LEGACY_VERSION;
      const { first, last } = legacy ? { first: 0, last: layout.chunks.length - 1 } : chunkSpan(layout, start, stop);
      const parts: Buffer[] = [];
      for (let index = first; index <= last; index++) {
        const chunk = layout.chunks[index];
        let stored: Buffer;
        const inProbe = chunk.offset + chunk.storedLength <= bytesRead;
        if (inProbe) {
          stored = probe.subarray(chunk.offset, chunk.offset + chunk.storedLength);
        } else {
          stored = Buffer.allocUnsafe(chunk.storedLength);
          stored = stored.subarray(0, readSync(fd, stored, 0, chunk.storedLength, chunk.offset));
        }
        const plain = decodeChunk(stored, chunk, index);
        // An uncompressed chunk of the probe is copied out: the next read overwrites the probe.
        parts.push(chunk.deflated || !inProbe ? plain : Buffer.from(plain));
      }
      const whole = parts.length === 1 ? parts[0] : Buffer.concat(parts);
      if (legacy && sha256(whole) !== hash) throw new BlobFormatError('the message does not match its SHA-256 (a version 1 blob, which has no chunk checksums)');
      const offset = first * layout.chunkSize;
      return whole.subarray(start - offset, stop - offset);
    } catch (error) {
      throw this.asDamage(account, hash, error);
    } finally {
      closeSync(fd);
    }
  }

  async readAll(account: string, hash: string, options: { checkHash?: boolean } = {}): Promise<Buffer> {
    const whole = await this.readRange(account, hash);
    if (options.checkHash && sha256(whole) !== hash) {
      throw this.asDamage(account, hash, new BlobFormatError('the message does not match its SHA-256 name'));
    }
    return whole;
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

  async removeOrphans(account: string, olderThanMs: number, isReferenced: (hash: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for await (const hash of this.list(account)) {
      const stat = await fs.stat(this.pathOf(account, hash)).catch(() => null);
      if (!stat || Date.now() - stat.mtimeMs <= olderThanMs) continue;
      if (await isReferenced(hash)) continue;
      await this.remove(account, hash);
      removed += 1;
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
