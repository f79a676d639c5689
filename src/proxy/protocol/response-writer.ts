/**
 * Writes responses to the client in order, honouring back-pressure: a stream piece (a message
 * body) is copied chunk by chunk and we wait for `drain`, so a `FETCH 1:* BODY.PEEK[]` never holds
 * the whole answer in memory. Small pieces, small bodies included, are gathered into writes of
 * about 64 KiB: one socket write per short message would cost more than the message. Writes from timers (IDLE keep-alive, BYE) queue behind the running one.
 */
import type { Writable } from 'node:stream';
import type { ResponsePiece } from './response-piece.js';
import { BlobDamagedError, StorageError } from '../ports.js';

/** Longest human-readable text of a status response; longer text (an echoed argument) is cut. */
export const MAX_RESPONSE_TEXT = 400;
/** `{n}`, `{n+}`, `~{n}` at the end of a line: what a client takes for a literal announcement. */
const TRAILING_LITERAL = /~?\{[0-9]*\+?\}$/;

/**
 * Text for a status response (`tag OK …`, `* BYE …`, `+ …`), where commands often echo what the
 * client sent. Every status line is built here, so no command can forge a line, cut one short or
 * make the client wait for a literal: control characters (CR, LF, NUL …) become `?`, the text is
 * bounded, and a text ending like a literal announcement gets a closing `.`.
 */
export function safeResponseText(text: string): string {
  let safe = withoutControls(text);
  if (safe.length > MAX_RESPONSE_TEXT) safe = `${safe.slice(0, MAX_RESPONSE_TEXT - 3)}...`;
  if (TRAILING_LITERAL.test(safe)) safe += '.';
  return safe;
}

// eslint-disable-next-line no-control-regex
const withoutControls = (text: string): string => text.replace(/[\x00-\x1f\x7f]/g, '?');

/**
 * A status response line: `tag STATUS [code] text` CRLF; `*` as the tag for untagged ones (and for
 * a command whose tag was unreadable). The tag was checked by the parser and has no braces.
 */
export function statusLine(tag: string | null, status: 'OK' | 'NO' | 'BAD' | 'BYE' | 'PREAUTH', code: string | undefined, text: string): Buffer {
  // The code is the server's own (CAPABILITY lists are long): kept whole, but still one line.
  const resp = code ? `[${withoutControls(code)}] ${safeResponseText(text)}` : safeResponseText(text);
  return Buffer.from(`${tag ?? '*'} ${status} ${resp}\r\n`);
}

/** A continuation request `+ text` CRLF (literal, IDLE, AUTHENTICATE). */
export function continuationLine(text: string): Buffer {
  return Buffer.from(`+ ${safeResponseText(text)}\r\n`);
}

export class ConnectionClosedError extends Error {
  constructor() {
    super('Connection closed');
  }
}

/** A stream piece ended before its announced length; the gap was padded to keep the framing. */
export class ShortPieceError extends Error {}

/** Small buffers are gathered into writes of about this size; bodies up to it are read into memory. */
const COALESCE_BYTES = 64 * 1024;
/** How much of a batch's small bodies is read ahead at once, so their reads overlap. */
const READ_AHEAD_BYTES = 256 * 1024;

type StreamPiece = Exclude<ResponsePiece, Buffer>;
type Collected = { data: Buffer; error: ShortPieceError | null };

export class ResponseWriter {
  private queue: Promise<void> = Promise.resolve();
  private closed = false;
  /** Called after each batch, e.g. to flush the deflate stream of COMPRESS. */
  private afterBatch: (() => void) | null = null;

  constructor(private output: Writable) {}

  /** Switches the destination (TLS socket after STARTTLS, deflate stream after COMPRESS). */
  setOutput(output: Writable, afterBatch: (() => void) | null = null): void {
    this.output = output;
    this.afterBatch = afterBatch;
  }

  get isClosed(): boolean {
    return this.closed || this.output.destroyed || this.output.writableEnded;
  }

  /** Ends the output once everything queued is written (through deflate, when compressing). */
  end(): void {
    if (this.closed) return;
    this.closed = true;
    void this.queue.then(() => this.output.end());
  }

  /** Queues the pieces; resolves once they are handed to the socket (rejects when it closed). */
  write(pieces: ResponsePiece[]): Promise<void> {
    const run = this.queue.then(() => this.writeNow(pieces));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Resolves when everything queued so far has been written (or failed). */
  settled(): Promise<void> {
    return this.queue;
  }

  private async writeNow(pieces: ResponsePiece[]): Promise<void> {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let shortPiece: ShortPieceError | null = null;
    const flushPending = async (): Promise<void> => {
      if (pendingBytes === 0) return;
      const chunk = pending.length === 1 ? pending[0] : Buffer.concat(pending);
      pending = [];
      pendingBytes = 0;
      await this.writeChunk(chunk);
    };
    // Small bodies of the batch start reading now (a bounded amount) and are taken in order below.
    const readAhead = new Map<StreamPiece, Promise<Collected>>();
    let readAheadBytes = 0;
    for (const piece of pieces) {
      if (Buffer.isBuffer(piece) || piece.length > COALESCE_BYTES) continue;
      if (readAheadBytes + piece.length > READ_AHEAD_BYTES) break;
      const collected = this.collectStream(piece);
      collected.catch(() => undefined);
      readAhead.set(piece, collected);
      readAheadBytes += piece.length;
    }
    try {
      for (const piece of pieces) {
        if (Buffer.isBuffer(piece)) {
          // Small buffers are coalesced into one write; large ones go straight through.
          pending.push(piece);
          pendingBytes += piece.length;
          if (pendingBytes >= COALESCE_BYTES) await flushPending();
        } else if (piece.length <= COALESCE_BYTES) {
          // A small body joins the pending bytes: one write for many short messages.
          const { data, error } = await (readAhead.get(piece) ?? this.collectStream(piece));
          pending.push(data);
          pendingBytes += data.length;
          if (error) shortPiece ??= error;
          if (pendingBytes >= COALESCE_BYTES) await flushPending();
        } else {
          await flushPending();
          try {
            await this.writeStream(piece);
          } catch (error) {
            // Padded already: finish the response so the client stays in sync, then report.
            if (!(error instanceof ShortPieceError)) throw error;
            shortPiece ??= error;
          }
        }
      }
      await flushPending();
      if (shortPiece) throw shortPiece;
    } finally {
      if (!this.isClosed) this.afterBatch?.();
    }
  }

  /** A small stream piece read into memory, cut or padded to its announced length like writeStream does. */
  private async collectStream(piece: StreamPiece): Promise<Collected> {
    const parts: Buffer[] = [];
    let collected = 0;
    let failure: unknown = null;
    const stream = piece.open();
    try {
      for await (const data of stream as AsyncIterable<Buffer | string>) {
        let chunk = typeof data === 'string' ? Buffer.from(data) : data;
        if (collected + chunk.length > piece.length) chunk = chunk.subarray(0, piece.length - collected);
        if (chunk.length > 0) parts.push(chunk);
        collected += chunk.length;
        if (collected >= piece.length) break;
      }
    } catch (error) {
      failure = error;
    } finally {
      (stream as { destroy?: () => void }).destroy?.();
    }
    if (collected >= piece.length) return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts), error: null };
    if (failure instanceof BlobDamagedError || failure instanceof StorageError) this.abandon(failure);
    // The literal's length is already on the wire: fill it so the client stays in sync.
    parts.push(Buffer.alloc(piece.length - collected, 0x20));
    const error = new ShortPieceError(`Stream piece ended after ${collected} of ${piece.length} bytes: ${String(failure ?? 'short stream')}`);
    return { data: Buffer.concat(parts), error };
  }

  private async writeStream(piece: { length: number; open(): NodeJS.ReadableStream }): Promise<void> {
    let written = 0;
    let failure: unknown = null;
    const stream = piece.open();
    try {
      for await (const data of stream as AsyncIterable<Buffer | string>) {
        let chunk = typeof data === 'string' ? Buffer.from(data) : data;
        if (written + chunk.length > piece.length) chunk = chunk.subarray(0, piece.length - written);
        if (chunk.length > 0) await this.writeChunk(chunk);
        written += chunk.length;
        if (written >= piece.length) break;
      }
    } catch (error) {
      if (error instanceof ConnectionClosedError) throw error;
      failure = error;
    } finally {
      (stream as { destroy?: () => void }).destroy?.();
    }
    if (written < piece.length) {
      if (failure instanceof BlobDamagedError || failure instanceof StorageError) this.abandon(failure);
      // The literal's length is already on the wire: fill it so the client stays in sync.
      let missing = piece.length - written;
      while (missing > 0) {
        const size = Math.min(missing, 64 * 1024);
        await this.writeChunk(Buffer.alloc(size, 0x20));
        missing -= size;
      }
      throw new ShortPieceError(`Stream piece ended after ${written} of ${piece.length} bytes: ${String(failure ?? 'short stream')}`);
    }
  }

  /**
   * Damage found after a literal's length went out (the pre-send check passed, then the bytes
   * changed), or the store stopped answering mid-body (object storage down between the check and
   * the read): padding would hand the client wrong bytes under an announced length that it caches
   * as the message. Dropping the connection is the only answer that serves nothing wrong.
   */
  private abandon(failure: BlobDamagedError | StorageError): never {
    this.closed = true;
    this.output.destroy();
    throw failure;
  }

  private writeChunk(chunk: Buffer): Promise<void> {
    const output = this.output;
    if (this.isClosed) return Promise.reject(new ConnectionClosedError());
    if (output.write(chunk)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (error?: unknown): void => {
        output.off('drain', onDrain);
        output.off('close', onClose);
        output.off('error', onClose);
        if (error) reject(error);
        else resolve();
      };
      const onDrain = (): void => done();
      const onClose = (): void => done(new ConnectionClosedError());
      output.on('drain', onDrain);
      output.on('close', onClose);
      output.on('error', onClose);
    });
  }
}
