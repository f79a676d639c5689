/**
 * Blobs in S3-compatible object storage (AWS S3, Ceph RGW, Swift's s3api, Garage, MinIO…), through
 * the standard AWS SDK v3 client. One object per message under `<prefix>/<account>/<sha256>`, in
 * the same chunked, checksummed format as the file store (blob-codec.ts), so a range read fetches
 * only the chunks it touches and checks each of them before handing anything on.
 *
 * What S3 changes compared with files:
 * - Durability: PutObject returns only once the object is stored, and an object appears whole or
 *   not at all; there are no temporaries and nothing to flush.
 * - Compatibility: bodies are sent with a known length in one PutObject, and checksums are asked
 *   for only when an operation requires them. Recent SDKs default to chunked uploads with trailing
 *   CRC checksums, which several S3 implementations reject.
 * - Orphans (an object put by a run that died before the catalog referenced it) are told apart from
 *   objects a running snapshot is about to reference by age: see `removeOrphans` and `put`.
 */
import { DeleteObjectCommand, GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { LRUCache } from 'lru-cache';
import { BlobFormatError, checkChunk, crc32, decodeChunk, encodeBlob, fileLengthOf, headerLengthOf, LEGACY_VERSION, parseLayout, type BlobLayout } from '../blob-codec.js';
import { BlobDamagedError, type BlobDamageObserver } from '../blob-damage.js';
import { sha256, type BlobStore, type StoredBlob } from '../blob-store.js';
import { accountDirectoryName } from '../embedded/file-blob-store.js';
import { StorageError, type StorageErrorKind } from '../storage-error.js';
import type { S3StoreSettings, StoreObserver } from '../store.js';

/** `store.s3` with every default filled in. */
export type S3Settings = Required<S3StoreSettings>;

export function s3SettingsOf(settings: S3StoreSettings): S3Settings {
  return {
    endpoint: settings.endpoint ?? '',
    region: settings.region || 'us-east-1',
    bucket: settings.bucket,
    prefix: settings.prefix ?? '',
    accessKeyId: settings.accessKeyId ?? '',
    secretAccessKey: settings.secretAccessKey ?? '',
    forcePathStyle: settings.forcePathStyle ?? true,
  };
}

/** Why the object storage failed, for whoever must tell an operator what to fix. */
export type S3FailureReason = 'unreachable' | 'credentials' | 'no-bucket' | 'missing' | 'other';

/** A failure of the object storage itself: a StorageError naming the bucket and endpoint (never the secret) and the cause. */
export class S3StorageError extends StorageError {
  constructor(
    kind: StorageErrorKind,
    backend: string,
    detail: string,
    readonly reason: S3FailureReason,
    options?: { cause?: unknown },
  ) {
    super(kind, backend, detail, options);
  }
}

const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** First ranged GET of a blob: 64 KiB holds the chunk table and all of a typical stored message. */
const PROBE_BYTES = 64 * 1024;
/** Stored bytes fetched per GET when a read spans many chunks: few requests, bounded memory. */
const BATCH_BYTES = 2 * 1024 * 1024;
/**
 * Orphan collection deletes an object no catalog row references only when it is older than its
 * grace period (hours). A put that finds its object already stored but older than this writes it
 * again, so an object a running snapshot has just relied on is always young.
 */
export const REFRESH_AGE_MS = 60 * 60 * 1000;
/**
 * What checkIntact fetched beyond the first 64 KiB, kept (up to 8 MiB, half a minute) for the one
 * read that follows it: a FETCH of a large message checks its chunks before announcing the length
 * and then streams them, and without this both would download the same bytes. Taken once, so every
 * other read goes to the storage; and checked against its CRC again when used, like any chunk.
 */
// 8 MiB per process: most messages are fetched once; a larger one has its earlier batches fetched
// again rather than held, so a process serving many large downloads stays small.
export const RECENT_BYTES = 8 * 1024 * 1024;
const RECENT_MS = 30_000;
/** /readyz and mtm doctor wait this long for the write+read+delete probe. */
const PROBE_TIMEOUT_MS = 10_000;

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);
const CREDENTIAL_CODES = new Set(['InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', 'InvalidToken', 'ExpiredToken', 'Forbidden', 'InvalidSecurity', 'CredentialsProviderError']);

interface SdkError {
  name?: string;
  code?: string;
  message?: string;
  errors?: SdkError[];
  $metadata?: { httpStatusCode?: number };
}

function networkCode(error: SdkError | undefined): string | null {
  if (!error) return null;
  if (error.code && NETWORK_CODES.has(error.code)) return error.code;
  if (error.name === 'TimeoutError') return 'timeout';
  // Wrapped by the SDK, the code may survive only in the message ("… connect ECONNREFUSED 127.0.0.1:9").
  const named = /\b(E[A-Z_]{3,})\b/.exec(error.message ?? '');
  if (named && NETWORK_CODES.has(named[1])) return named[1];
  for (const inner of error.errors ?? []) {
    const code = networkCode(inner);
    if (code) return code;
  }
  return null;
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError)?.$metadata?.httpStatusCode;
}

function isNotFound(error: unknown): boolean {
  const name = (error as SdkError)?.name;
  return name === 'NotFound' || name === 'NoSuchKey' || (statusOf(error) === 404 && name !== 'NoSuchBucket');
}

/** The object's stored bytes [from, to] as a buffer, with the object's total size. */
interface RangeRead {
  bytes: Buffer;
  totalSize: number;
}

interface OpenedBlob {
  key: string;
  /** CRC-32 of the header: which encoding of the message this is (batches are cached per encoding). */
  version: number;
  layout: BlobLayout;
  /** The object's first bytes, as fetched when opening (the whole object when it is small). */
  head: Buffer;
}

function chunkSpan(layout: BlobLayout, start: number, stop: number): { first: number; last: number } {
  return { first: Math.floor(start / layout.chunkSize), last: Math.floor((stop - 1) / layout.chunkSize) };
}

/** `bytes a-b/total` → total; a server that ignored the Range answers 200 with the whole object. */
function totalFromContentRange(contentRange: string | undefined): number | null {
  const match = /\/(\d+)\s*$/.exec(contentRange ?? '');
  return match ? Number(match[1]) : null;
}

export class S3BlobStore implements BlobStore {
  private readonly client: S3Client;
  private readonly prefix: string;
  private readonly now: () => number;
  /** Where the store is, for messages: never the credentials. */
  readonly description: string;

  private readonly settings: S3Settings;
  private readonly onDamage: BlobDamageObserver;
  /** `<key>:<version>:<first chunk>-<last chunk>` → stored bytes (see RECENT_BYTES). */
  private readonly recentBatches = new LRUCache<string, Buffer>({ maxSize: RECENT_BYTES, sizeCalculation: (bytes) => Math.max(1, bytes.length), ttl: RECENT_MS });

  constructor(
    settings: S3StoreSettings,
    private readonly observer: StoreObserver = {},
    options: { client?: S3Client; now?: () => number } = {},
  ) {
    this.settings = s3SettingsOf(settings);
    this.onDamage = (damage) => observer.blobDamaged?.(damage);
    this.now = options.now ?? Date.now;
    if (!settings.bucket) throw new Error('store.s3.bucket: no bucket configured');
    this.prefix = this.settings.prefix.replace(/^\/+|\/+$/g, '');
    if (this.prefix.split('/').some((segment) => segment === '.' || segment === '..')) throw new Error('store.s3.prefix: "." and ".." are not allowed as path segments');
    const { endpoint, region, bucket, accessKeyId, secretAccessKey, forcePathStyle } = this.settings;
    this.description = `S3 bucket ${bucket}${this.prefix ? `/${this.prefix}` : ''} at ${endpoint || `the AWS endpoint of ${region}`}`;
    // The SDK warns on every start under Node 20 about its own future releases: nothing an
    // operator can act on (the SDK version is pinned by package-lock.json), so it stays quiet.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    this.client =
      options.client ??
      new S3Client({
        endpoint: endpoint || undefined,
        region,
        forcePathStyle,
        credentials: accessKeyId ? { accessKeyId, secretAccessKey } : undefined,
        // Compatibility with S3 implementations other than AWS (see the top of the file).
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts: 3,
        requestHandler: { connectionTimeout: 5000, requestTimeout: 60_000 },
      });
  }

  /**
   * The account's key prefix. The account name is percent-encoded as the file store names its
   * directories (never `/`, `.` or `..`), so no account name can reach outside `<prefix>/<account>/`
   * or into another account's keys.
   */
  private accountPrefix(account: string): string {
    if (!account) throw new Error('blob access without an account');
    const segment = accountDirectoryName(account);
    return this.prefix ? `${this.prefix}/${segment}/` : `${segment}/`;
  }

  private keyOf(account: string, hash: string): string {
    if (!HASH_PATTERN.test(hash)) throw new Error(`not a blob hash: ${hash.slice(0, 80)}`);
    return this.accountPrefix(account) + hash;
  }

  /** One call to the object storage, timed for the observer (/metrics: latency and errors). */
  private async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    let ok = false;
    try {
      const result = await call();
      ok = true;
      return result;
    } catch (error) {
      // A missing object is an answer, not an error of the backend.
      ok = isNotFound(error);
      throw error;
    } finally {
      this.observer.backendCall?.({ backend: 's3', operation, seconds: (performance.now() - started) / 1000, ok });
    }
  }

  /** An SDK error as a StorageError that names the backend and the cause; damage and our own errors unchanged. */
  describeFailure(error: unknown, operation: string): Error {
    if (error instanceof StorageError || error instanceof BlobDamagedError || error instanceof BlobFormatError) return error;
    const sdk = error as SdkError;
    const status = statusOf(error);
    const network = networkCode(sdk);
    const fail = (kind: StorageErrorKind, reason: S3FailureReason, detail: string) => new S3StorageError(kind, this.description, `${detail}; ${operation}`, reason, { cause: error });
    // A HEAD answer has no body, so the SDK knows only the status ("Unknown", "Forbidden").
    const code = sdk?.name && !['Unknown', 'Error', 'Forbidden'].includes(sdk.name) ? sdk.name : `HTTP ${status ?? '?'}`;
    if (network) return fail('unavailable', 'unreachable', `cannot connect: ${network}`);
    if (sdk?.name === 'NoSuchBucket') return fail('failed', 'no-bucket', `the bucket ${this.settings.bucket} does not exist`);
    if ((sdk?.name && CREDENTIAL_CODES.has(sdk.name)) || status === 403 || status === 401) {
      const key = this.settings.accessKeyId || 'of the default credential chain';
      return fail('failed', 'credentials', `the credentials of access key ${key} were refused (${code}: a wrong key or secret, or no permission on the bucket)`);
    }
    if (isNotFound(error)) return fail('failed', 'missing', 'no such object');
    if (sdk?.name === 'QuotaExceeded' || sdk?.name === 'StorageFull') return fail('full', 'other', `${sdk.name} (HTTP ${status})`);
    const detail = sdk?.name && sdk.name !== 'Error' ? `${sdk.name}${status ? ` (HTTP ${status})` : ''}` : String(sdk?.message ?? error).slice(0, 200);
    // 5xx (503 SlowDown, 500 InternalError): the service is there but cannot answer now.
    return fail(status !== undefined && status >= 500 ? 'unavailable' : 'failed', 'other', detail);
  }

  private async head(key: string): Promise<{ size: number; lastModified: number } | null> {
    try {
      const response = await this.timed('HeadObject', () => this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key })));
      return { size: Number(response.ContentLength ?? 0), lastModified: response.LastModified?.getTime() ?? 0 };
    } catch (error) {
      if (isNotFound(error)) return null;
      throw this.describeFailure(error, `HEAD ${key}`);
    }
  }

  /** Bytes [from, to] (inclusive, as HTTP ranges are) of the object. */
  private async getRange(key: string, from: number, to: number): Promise<RangeRead> {
    let response;
    try {
      response = await this.timed('GetObject', () => this.client.send(new GetObjectCommand({ Bucket: this.settings.bucket, Key: key, Range: `bytes=${from}-${to}` })));
    } catch (error) {
      // An empty object has no byte 0: damage (a blob always has a header), not a storage failure.
      if (statusOf(error) === 416 || (error as SdkError)?.name === 'InvalidRange') throw new BlobFormatError('the stored object is empty');
      throw this.describeFailure(error, `GET ${key}`);
    }
    let array: Uint8Array;
    try {
      array = await response.Body!.transformToByteArray();
    } catch (error) {
      throw this.describeFailure(error, `GET ${key}`);
    }
    let bytes = Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    const total = totalFromContentRange(response.ContentRange);
    if (total === null) {
      // The server ignored the Range and sent the whole object.
      return { bytes: bytes.subarray(from, to + 1), totalSize: bytes.length };
    }
    if (bytes.length > to - from + 1) bytes = bytes.subarray(0, to - from + 1);
    return { bytes, totalSize: total };
  }

  /** Reads and checks the header; a missing object is an S3StorageError('missing'). */
  private async openBlob(key: string): Promise<OpenedBlob> {
    const probe = await this.getRange(key, 0, PROBE_BYTES - 1).catch(async (error: unknown) => {
      // An empty object has no byte 0: S3 answers 416, some servers drop the connection instead.
      if (error instanceof S3StorageError && (error.reason === 'other' || error.reason === 'unreachable') && (await this.head(key))?.size === 0) throw new BlobFormatError('the stored object is empty');
      throw error;
    });
    let head = probe.bytes;
    const headerLength = headerLengthOf(head);
    if (headerLength > head.length) {
      // A damaged chunk count must not make the reader fetch (and allocate) more than the object has.
      if (headerLength > probe.totalSize) throw new BlobFormatError('the object is truncated inside its chunk table');
      head = (await this.getRange(key, 0, headerLength - 1)).bytes;
    }
    const layout = parseLayout(head);
    if (fileLengthOf(layout) !== probe.totalSize) {
      throw new BlobFormatError(`the object is ${probe.totalSize} bytes long instead of ${fileLengthOf(layout)} (truncated or extended)`);
    }
    return { key, version: crc32(head.subarray(0, layout.headerLength)), layout, head };
  }

  /**
   * The stored bytes of chunks first..last, one GET per batch of about BATCH_BYTES, the next batch
   * fetched while the caller works on the current one. Chunks inside the opening probe cost nothing.
   */
  private async *storedChunks(blob: OpenedBlob, first: number, last: number, purpose: 'check' | 'read'): AsyncGenerator<{ index: number; stored: Buffer }> {
    const { chunks } = blob.layout;
    let index = first;
    while (index <= last && chunks[index].offset + chunks[index].storedLength <= blob.head.length) {
      yield { index, stored: blob.head.subarray(chunks[index].offset, chunks[index].offset + chunks[index].storedLength) };
      index += 1;
    }
    const fetchBatch = (from: number): { from: number; to: number; bytes: Promise<Buffer> } | null => {
      if (from > last) return null;
      let to = from;
      while (to < last && chunks[to + 1].offset + chunks[to + 1].storedLength - chunks[from].offset <= BATCH_BYTES) to += 1;
      const start = chunks[from].offset;
      const end = chunks[to].offset + chunks[to].storedLength;
      const cacheKey = `${blob.key}:${blob.version}:${from}-${to}`;
      const checked = purpose === 'read' ? this.recentBatches.get(cacheKey) : undefined;
      if (checked) this.recentBatches.delete(cacheKey);
      const bytes = checked
        ? Promise.resolve(checked)
        : this.getRange(blob.key, start, end - 1).then((read) => {
            if (purpose === 'check') this.recentBatches.set(cacheKey, read.bytes);
            return read.bytes;
          });
      // Fetched ahead: a reader that stops early must not leave an unhandled rejection behind.
      bytes.catch(() => undefined);
      return { from, to, bytes };
    };
    let batch = fetchBatch(index);
    while (batch) {
      const bytes = await batch.bytes;
      const current = batch;
      batch = fetchBatch(current.to + 1);
      const base = chunks[current.from].offset;
      for (let chunkIndex = current.from; chunkIndex <= current.to; chunkIndex++) {
        const chunk = chunks[chunkIndex];
        yield { index: chunkIndex, stored: bytes.subarray(chunk.offset - base, chunk.offset - base + chunk.storedLength) };
      }
    }
  }

  /** Damage as BlobDamagedError (told to the observer once); storage failures pass unchanged. */
  private asDamage(account: string, hash: string, error: unknown): unknown {
    if (error instanceof BlobDamagedError) return error;
    if (!(error instanceof BlobFormatError)) return error;
    const damage = new BlobDamagedError(account, hash, error.message);
    this.onDamage(damage);
    return damage;
  }

  /** The blob behind [start, end) with the range's end clamped to the message; null for an empty range. */
  private async openRange(key: string, start: number, end: number | undefined): Promise<{ blob: OpenedBlob; stop: number } | null> {
    const blob = await this.openBlob(key);
    const stop = Math.min(end ?? blob.layout.rawSize, blob.layout.rawSize);
    return start < stop ? { blob, stop } : null;
  }

  /** Plain bytes [start, end) chunk by chunk, each checked before it is used. */
  private async *plainRange(account: string, hash: string, start: number, end: number | undefined): AsyncGenerator<Buffer> {
    try {
      const opened = await this.openRange(this.keyOf(account, hash), start, end);
      if (!opened) return;
      const { blob, stop } = opened;
      const { layout } = blob;
      if (layout.version === LEGACY_VERSION) {
        // No chunk checksums: the whole message is checked against its name before any of it is used.
        const parts: Buffer[] = [];
        for await (const { index, stored } of this.storedChunks(blob, 0, layout.chunks.length - 1, 'read')) parts.push(decodeChunk(stored, layout.chunks[index], index));
        const whole = Buffer.concat(parts);
        if (sha256(whole) !== hash) throw new BlobFormatError('the message does not match its SHA-256 (a version 1 blob, which has no chunk checksums)');
        yield whole.subarray(start, stop);
        return;
      }
      const { first, last } = chunkSpan(layout, start, stop);
      for await (const { index, stored } of this.storedChunks(blob, first, last, 'read')) {
        const chunkStart = index * layout.chunkSize;
        const plain = decodeChunk(stored, layout.chunks[index], index);
        // Copied out of the fetched batch: a view would keep the whole batch alive in whoever holds it.
        const part = plain.subarray(Math.max(0, start - chunkStart), Math.min(plain.length, stop - chunkStart));
        yield layout.chunks[index].deflated ? part : Buffer.from(part);
      }
    } catch (error) {
      throw this.asDamage(account, hash, error);
    }
  }

  /**
   * Content-addressed, so idempotent: an object already there is kept (`written: false`). Resolves
   * only when PutObject has returned, i.e. the object is durable and whole.
   */
  async put(account: string, raw: Buffer, hash = sha256(raw)): Promise<StoredBlob> {
    const key = this.keyOf(account, hash);
    const existing = await this.head(key);
    // An old object may be an orphan that orphan collection is about to delete; writing it again
    // makes it young, so the catalog row about to reference it never points at a deleted object.
    if (existing && this.now() - existing.lastModified < REFRESH_AGE_MS && existing.size > 0) {
      return { hash, size: raw.length, storedBytes: existing.size, written: false };
    }
    const body = Buffer.concat(await encodeBlob(raw));
    try {
      await this.timed('PutObject', () => this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: 'application/octet-stream' })));
    } catch (error) {
      throw this.describeFailure(error, `PUT ${key}`);
    }
    return { hash, size: raw.length, storedBytes: body.length, written: existing === null };
  }

  async has(account: string, hash: string): Promise<boolean> {
    return (await this.head(this.keyOf(account, hash))) !== null;
  }

  async storedBytes(account: string, hash: string): Promise<number> {
    const key = this.keyOf(account, hash);
    const found = await this.head(key);
    if (!found) throw new S3StorageError('failed', this.description, `no such object ${key}`, 'missing');
    return found.size;
  }

  read(account: string, hash: string, start = 0, end?: number): Readable {
    this.keyOf(account, hash);
    return Readable.from(this.plainRange(account, hash, start, end), { objectMode: false });
  }

  /** Checks, without inflating, the stored chunks behind [start, end): for whoever must announce a length before streaming. */
  async checkIntact(account: string, hash: string, start = 0, end?: number): Promise<void> {
    try {
      const opened = await this.openRange(this.keyOf(account, hash), start, end);
      if (!opened) return;
      const { blob, stop } = opened;
      const { layout } = blob;
      if (layout.version === LEGACY_VERSION) {
        for await (const part of this.plainRange(account, hash, 0, undefined)) void part;
        return;
      }
      const { first, last } = chunkSpan(layout, start, stop);
      for await (const { index, stored } of this.storedChunks(blob, first, last, 'check')) checkChunk(stored, layout.chunks[index], index);
    } catch (error) {
      throw this.asDamage(account, hash, error);
    }
  }

  async readRange(account: string, hash: string, start = 0, end?: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    for await (const part of this.plainRange(account, hash, start, end)) parts.push(part);
    return parts.length === 1 ? parts[0] : Buffer.concat(parts);
  }

  async readAll(account: string, hash: string, options: { checkHash?: boolean } = {}): Promise<Buffer> {
    const whole = await this.readRange(account, hash);
    if (options.checkHash && sha256(whole) !== hash) {
      throw this.asDamage(account, hash, new BlobFormatError('the message does not match its SHA-256 name'));
    }
    return whole;
  }

  /** DeleteObject succeeds for a missing key too: quiet when already gone. */
  async remove(account: string, hash: string): Promise<void> {
    const key = this.keyOf(account, hash);
    try {
      await this.timed('DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key })));
    } catch (error) {
      if (isNotFound(error)) return;
      throw this.describeFailure(error, `DELETE ${key}`);
    }
  }

  /** Every object of the account with its LastModified (ms since the epoch), in key order. */
  async *listWithAge(account: string): AsyncIterable<{ hash: string; modifiedMs: number }> {
    const prefix = this.accountPrefix(account);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.timed('ListObjectsV2', () => this.client.send(new ListObjectsV2Command({ Bucket: this.settings.bucket, Prefix: prefix, ContinuationToken: token })));
      } catch (error) {
        throw this.describeFailure(error, `LIST ${prefix}`);
      }
      for (const object of page.Contents ?? []) {
        const hash = object.Key?.slice(prefix.length) ?? '';
        if (HASH_PATTERN.test(hash)) yield { hash, modifiedMs: object.LastModified?.getTime() ?? 0 };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Orphan collection, made safe against a snapshot running meanwhile by a grace period on
   * LastModified (not a two-phase mark): an object goes only when it was last written more than
   * `olderThanMs` ago, `isReferenced` disowns it, and a HEAD just before the DELETE still finds it
   * that old. A snapshot about to reference an object has either just written it or, finding it
   * already stored, written it again if it was older than REFRESH_AGE_MS (see put), so its object
   * stays younger than any grace period above REFRESH_AGE_MS plus the time from put to catalog
   * row. What remains is the milliseconds between that HEAD and the DELETE, and only for an object
   * that had been an orphan for longer than the grace period.
   */
  async removeOrphans(account: string, olderThanMs: number, isReferenced: (hash: string) => Promise<boolean>): Promise<number> {
    let removed = 0;
    for await (const { hash, modifiedMs } of this.listWithAge(account)) {
      if (this.now() - modifiedMs <= olderThanMs) continue;
      if (await isReferenced(hash)) continue;
      const current = await this.head(this.keyOf(account, hash));
      if (!current || this.now() - current.lastModified <= olderThanMs) continue;
      await this.remove(account, hash);
      removed += 1;
    }
    return removed;
  }

  async *list(account: string): AsyncIterable<string> {
    for await (const { hash } of this.listWithAge(account)) yield hash;
  }

  /** Nothing to do: an object is durable once PutObject has returned. */
  async flush(): Promise<void> {}

  /** There are no temporaries: an object appears whole or not at all. */
  async sweepTemporaries(): Promise<number> {
    return 0;
  }

  /**
   * Reachable, credentials accepted, bucket there, and a write, read and delete that work: for
   * `mtm doctor` and `/readyz`. Rejects with an S3StorageError naming the cause.
   */
  async probe(timeoutMs = PROBE_TIMEOUT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new S3StorageError('unavailable', this.description, `no answer within ${timeoutMs / 1000} s; probe`, 'unreachable')), timeoutMs);
    });
    const probing = this.probeOnce();
    // Left running after a timeout: it ends on its own (SDK timeouts) and its result is not wanted.
    probing.catch(() => undefined);
    try {
      await Promise.race([probing, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async probeOnce(): Promise<void> {
    try {
      await this.timed('HeadBucket', () => this.client.send(new HeadBucketCommand({ Bucket: this.settings.bucket })));
    } catch (error) {
      // HEAD has no body, so a missing bucket is only a 404.
      if (statusOf(error) === 404) throw new S3StorageError('failed', this.description, `the bucket ${this.settings.bucket} does not exist`, 'no-bucket', { cause: error });
      throw this.describeFailure(error, 'HEAD bucket');
    }
    // An account's segment never starts with "." (it is percent-encoded), so this is no account's key.
    const key = `${this.prefix ? `${this.prefix}/` : ''}.probe-${process.pid}-${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
    const payload = Buffer.from(`mtm probe ${new Date().toISOString()}`);
    try {
      await this.timed('PutObject', () => this.client.send(new PutObjectCommand({ Bucket: this.settings.bucket, Key: key, Body: payload, ContentLength: payload.length })));
      const read = await this.getRange(key, 0, payload.length - 1);
      if (!read.bytes.equals(payload)) throw new S3StorageError('failed', this.description, 'the probe object read back differs from what was written', 'other');
    } catch (error) {
      throw this.describeFailure(error, 'probe');
    } finally {
      await this.timed('DeleteObject', () => this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key }))).catch(() => undefined);
    }
  }

  close(): void {
    this.client.destroy();
  }
}
