/**
 * Framing of the client's byte stream (RFC 3501 §2.2, RFC 7888 LITERAL+): splits it into whole
 * commands — the text lines and the literals between them — without interpreting the grammar.
 *
 * Pull-based on purpose: the session asks for the next command only when the previous one is
 * answered, so pipelined commands are handled in order, a synchronising literal gets its `+`
 * only when its command is really being read, and IDLE/AUTHENTICATE can take the next line raw.
 * While nobody pulls, the source is paused once a bounded amount is buffered (back-pressure).
 */
import type { Readable } from 'node:stream';

export interface ReaderLimits {
  /** Longest text of one command, literals excluded (all its lines together). */
  maxLineBytes: number;
  /** Largest total of the literals of one command. */
  maxLiteralBytes: number;
}

/** A whole command: `lines[i]` ends with the marker of `literals[i]`; one more line than literals. */
export interface CommandFrame {
  kind: 'command';
  lines: Buffer[];
  literals: Buffer[];
}

/** A command refused by the framing limits; its bytes are consumed and the stream is in sync. */
export interface RefusedFrame {
  kind: 'refused';
  /** The tag when the start of the line had a usable one. */
  tag: string | null;
  status: 'BAD' | 'NO';
  code?: string;
  text: string;
}

export type Frame = CommandFrame | RefusedFrame;

/** `{123}`, `{123+}` or `~{123}` at the end of a line; `+` marks a non-synchronising literal. */
const LITERAL_MARKER = /~?\{(\d{1,20})(\+?)\}$/;
const TAG = /^[\x21\x23\x24\x26\x27\x2c-\x5a\x5e-\x7a\x7c\x7e]+$/;
const HIGH_WATER = 256 * 1024;

/** Extracts a valid tag from the start of a line, or null. */
export function tagOf(line: Buffer): string | null {
  const head = line.subarray(0, 200).toString('latin1');
  const space = head.indexOf(' ');
  const tag = space >= 0 ? head.slice(0, space) : head;
  return TAG.test(tag) ? tag : null;
}

interface LineRead {
  /** The line without CRLF, or only its last bytes when it was too long. */
  bytes: Buffer;
  /** True when the line exceeded the limit and was discarded (bytes holds the head + tail). */
  overflow: boolean;
  head?: Buffer;
}

export class CommandReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private source: Readable | null = null;
  private ended = false;
  private wake: (() => void) | null = null;
  private readonly listeners = {
    data: (chunk: Buffer) => this.onData(chunk),
    end: () => this.onEnd(),
    close: () => this.onEnd(),
    error: () => this.onEnd(),
  };

  /**
   * @param askForLiteral called before a synchronising literal is read: the session sends `+ …`.
   */
  constructor(
    source: Readable,
    private readonly limits: ReaderLimits,
    private readonly askForLiteral: () => Promise<void>,
  ) {
    this.attach(source);
  }

  /** Starts reading from a (new) source, e.g. the TLS socket after STARTTLS or the inflater. */
  attach(source: Readable): void {
    this.source = source;
    this.ended = false;
    source.on('data', this.listeners.data);
    source.on('end', this.listeners.end);
    source.on('close', this.listeners.close);
    source.on('error', this.listeners.error);
    source.resume();
  }

  /** Stops reading the current source and hands back what was buffered but not yet consumed. */
  detach(): Buffer {
    const source = this.source;
    if (source) {
      source.off('data', this.listeners.data);
      source.off('end', this.listeners.end);
      source.off('close', this.listeners.close);
      source.off('error', this.listeners.error);
      source.pause();
    }
    this.source = null;
    const rest = Buffer.concat(this.chunks);
    this.chunks = [];
    this.buffered = 0;
    return rest;
  }

  /** True when bytes beyond the last consumed command are already waiting. */
  hasBufferedInput(): boolean {
    return this.buffered > 0;
  }

  /** The next command, or null at end of stream. Empty lines are skipped. */
  async readCommand(): Promise<Frame | null> {
    const { maxLineBytes, maxLiteralBytes } = this.limits;
    const lines: Buffer[] = [];
    const literals: Buffer[] = [];
    let textBytes = 0;
    let literalBytes = 0;
    for (;;) {
      const line = await this.readLine(Math.max(0, maxLineBytes - textBytes));
      if (!line) return null;
      if (lines.length === 0 && !line.overflow && line.bytes.length === 0) continue;
      const tag = tagOf(lines.length > 0 ? lines[0] : (line.head ?? line.bytes));
      if (line.overflow) {
        await this.skipRestOfCommand(line.bytes);
        return { kind: 'refused', tag, status: 'BAD', text: `Command line too long (limit ${maxLineBytes} bytes)` };
      }
      textBytes += line.bytes.length;
      lines.push(line.bytes);
      const marker = LITERAL_MARKER.exec(line.bytes.toString('latin1', Math.max(0, line.bytes.length - 24)));
      if (!marker) return { kind: 'command', lines, literals };
      const size = Number(marker[1]);
      const synchronising = marker[2] !== '+';
      if (literalBytes + size > maxLiteralBytes) {
        // A refused synchronising literal gets no `+`: the client then never sends it (RFC 3501 §7.5).
        if (!synchronising) {
          await this.skipBytes(size);
          const next = await this.readLine(0);
          if (next) await this.skipRestOfCommand(next.bytes);
        }
        return {
          kind: 'refused',
          tag,
          status: 'NO',
          code: 'TOOBIG',
          text: `Literal too large (limit ${maxLiteralBytes} bytes)`,
        };
      }
      if (synchronising) await this.askForLiteral();
      const literal = await this.readBytes(size);
      if (!literal) return null;
      literalBytes += size;
      literals.push(literal);
    }
  }

  /**
   * One raw line (IDLE's DONE, an AUTHENTICATE response), without CRLF; null at end of stream.
   * A line longer than the limit comes back as `overflow` with its bytes dropped.
   */
  async readRawLine(maxBytes = this.limits.maxLineBytes): Promise<{ bytes: Buffer; overflow: boolean } | null> {
    const line = await this.readLine(maxBytes);
    return line ? { bytes: line.overflow ? Buffer.alloc(0) : line.bytes, overflow: line.overflow } : null;
  }

  /** After a refusal mid-command: skips the rest, including further non-synchronising literals. */
  private async skipRestOfCommand(lastLine: Buffer): Promise<void> {
    let line: Buffer = lastLine;
    for (;;) {
      const marker = LITERAL_MARKER.exec(line.toString('latin1', Math.max(0, line.length - 24)));
      // No literal announced, or a synchronising one the client will not send without our `+`.
      if (!marker || marker[2] !== '+') return;
      await this.skipBytes(Number(marker[1]));
      const next = await this.readLine(0);
      if (!next) return;
      line = next.bytes;
    }
  }

  /** Reads up to LF. Beyond `maxBytes` the line is discarded; head and tail (for its marker) are kept. */
  private async readLine(maxBytes: number): Promise<LineRead | null> {
    const parts: Buffer[] = [];
    let length = 0;
    let overflow = false;
    let head: Buffer | undefined;
    let tail = Buffer.alloc(0);
    for (;;) {
      const lf = this.indexOfLf();
      if (lf < 0 && this.buffered === 0) {
        if (this.ended) return null;
        await this.waitForData();
        continue;
      }
      const chunk = this.take(lf >= 0 ? lf + 1 : this.buffered);
      if (!overflow) {
        parts.push(chunk);
        length += chunk.length;
        if (length > maxBytes + 2) {
          // Over the limit: keep only the start (for the tag) and the end (for a literal marker).
          overflow = true;
          const all = Buffer.concat(parts);
          head = all.subarray(0, 200);
          tail = all.subarray(-34);
          parts.length = 0;
        }
      } else {
        tail = Buffer.concat([tail, chunk]).subarray(-34);
      }
      if (lf < 0) continue;
      const line = overflow ? tail : parts.length === 1 ? parts[0] : Buffer.concat(parts);
      let end = line.length - 1;
      if (end > 0 && line[end - 1] === 0x0d) end--;
      const bytes = line.subarray(0, end);
      if (!overflow && bytes.length > maxBytes) return { bytes, overflow: true, head: bytes.subarray(0, 200) };
      return { bytes, overflow, head };
    }
  }

  private async readBytes(size: number): Promise<Buffer | null> {
    const parts: Buffer[] = [];
    let missing = size;
    while (missing > 0) {
      if (this.buffered === 0) {
        if (this.ended) return null;
        await this.waitForData();
        continue;
      }
      const chunk = this.take(Math.min(missing, this.buffered));
      parts.push(chunk);
      missing -= chunk.length;
    }
    return Buffer.concat(parts);
  }

  private async skipBytes(size: number): Promise<void> {
    let missing = size;
    while (missing > 0) {
      if (this.buffered === 0) {
        if (this.ended) return;
        await this.waitForData();
        continue;
      }
      missing -= this.take(Math.min(missing, this.buffered)).length;
    }
  }

  private indexOfLf(): number {
    let offset = 0;
    for (const chunk of this.chunks) {
      const at = chunk.indexOf(0x0a);
      if (at >= 0) return offset + at;
      offset += chunk.length;
    }
    return -1;
  }

  /** Removes and returns the first `size` buffered bytes. */
  private take(size: number): Buffer {
    const out: Buffer[] = [];
    let missing = size;
    while (missing > 0) {
      const first = this.chunks[0];
      if (first.length <= missing) {
        out.push(first);
        this.chunks.shift();
        missing -= first.length;
      } else {
        out.push(first.subarray(0, missing));
        this.chunks[0] = first.subarray(missing);
        missing = 0;
      }
    }
    this.buffered -= size;
    if (this.buffered < HIGH_WATER / 2 && this.source?.isPaused()) this.source.resume();
    return out.length === 1 ? out[0] : Buffer.concat(out);
  }

  private onData(chunk: Buffer): void {
    if (!Buffer.isBuffer(chunk)) chunk = Buffer.from(chunk);
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    if (this.buffered >= HIGH_WATER) this.source?.pause();
    this.signal();
  }

  private onEnd(): void {
    this.ended = true;
    this.signal();
  }

  private signal(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      if (this.source?.isPaused() && this.buffered < HIGH_WATER) this.source.resume();
    });
  }
}
