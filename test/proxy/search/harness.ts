/**
 * Test helpers for the SEARCH/SORT/THREAD tests: a minimal raw IMAP session (so the exact untagged
 * lines of Dovecot can be compared), criteria text → Token[] through the real protocol parser, and
 * an OpenMailbox fake holding messages copied from Dovecot.
 */
import { connect, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { MessageRef, OpenMailbox } from '../../../src/proxy/ports.js';
import type { Token } from '../../../src/proxy/protocol/tokens.js';
import { parseCommand } from '../../../src/proxy/protocol/parser.js';
import type { CommandFrame } from '../../../src/proxy/protocol/command-reader.js';
import { analyzeMessage } from '../../../src/mail/analyze.js';

/**
 * Criteria text → tokens, through the server's own command parser. Quoted strings with non-ASCII
 * characters are sent as literals, as a client has to.
 */
export function tokenize(criteria: string): Token[] {
  const lines: Buffer[] = [];
  const literals: Buffer[] = [];
  let current = 'x SEARCH ';
  let last = 0;
  for (const match of criteria.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    // eslint-disable-next-line no-control-regex
    if (!/[^\x00-\x7f]/.test(match[1])) continue;
    const bytes = Buffer.from(match[1].replace(/\\(.)/g, '$1'), 'utf8');
    current += `${criteria.slice(last, match.index)}{${bytes.length}+}`;
    lines.push(Buffer.from(current, 'utf8'));
    literals.push(bytes);
    current = '';
    last = (match.index ?? 0) + match[0].length;
  }
  lines.push(Buffer.from(current + criteria.slice(last), 'utf8'));
  const parsed = parseCommand({ kind: 'command', lines, literals } as CommandFrame);
  if (!parsed.ok) throw new Error(`test criteria do not parse: ${parsed.text}`);
  return parsed.command.args;
}

/** Quoted strings with non-ASCII characters → LITERAL+ so Dovecot accepts them. */
export function toWire(criteria: string): Buffer {
  const pieces: Buffer[] = [];
  let last = 0;
  for (const match of criteria.matchAll(/"((?:[^"\\]|\\.)*)"/g)) {
    // eslint-disable-next-line no-control-regex
    if (!/[^\x00-\x7f]/.test(match[1])) continue;
    pieces.push(Buffer.from(criteria.slice(last, match.index), 'utf8'));
    const bytes = Buffer.from(match[1].replace(/\\(.)/g, '$1'), 'utf8');
    pieces.push(Buffer.from(`{${bytes.length}+}\r\n`), bytes);
    last = (match.index ?? 0) + match[0].length;
  }
  pieces.push(Buffer.from(criteria.slice(last), 'utf8'));
  return Buffer.concat(pieces);
}

/** A raw IMAP connection: send a command, get its untagged lines and tagged status. */
export class RawImap {
  private buffer = '';
  private waiting: (() => void) | null = null;
  private counter = 0;

  private constructor(private readonly socket: Socket) {
    socket.on('data', (chunk) => {
      this.buffer += chunk.toString('utf8');
      this.waiting?.();
    });
  }

  static async open(host: string, port: number): Promise<RawImap> {
    const socket = connect(port, host);
    const session = new RawImap(socket);
    await session.until((text) => text.includes('\r\n'));
    session.buffer = '';
    return session;
  }

  private async until(done: (text: string) => boolean): Promise<void> {
    while (!done(this.buffer)) {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`IMAP answer timed out: ${this.buffer.slice(-300)}`)), 30000);
        this.waiting = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  async command(text: string | Buffer): Promise<{ tag: string; untagged: string[]; status: string }> {
    const tag = `t${++this.counter}`;
    this.socket.write(Buffer.concat([Buffer.from(`${tag} `), Buffer.isBuffer(text) ? text : Buffer.from(text), Buffer.from('\r\n')]));
    const tagged = new RegExp(`(^|\\r\\n)${tag} (OK|NO|BAD)[^\\r]*\\r\\n`);
    await this.until((buffer) => tagged.test(buffer));
    const lines = this.buffer.split('\r\n');
    this.buffer = '';
    const statusLine = lines.find((line) => line.startsWith(`${tag} `)) ?? '';
    return { tag, untagged: lines.filter((line) => line.startsWith('* ')), status: statusLine.slice(tag.length + 1) };
  }

  close(): void {
    this.socket.end();
  }
}

export interface StoredMessage extends MessageRef {
  raw: Buffer;
}

/** An OpenMailbox over messages held in memory (what the store would serve for a snapshot folder). */
export function fakeMailbox(messages: StoredMessage[]): OpenMailbox {
  const byUid = new Map(messages.map((message) => [message.uid, message]));
  const raw = (ref: MessageRef) => {
    const found = byUid.get(ref.uid);
    if (!found) throw new Error(`no message with UID ${ref.uid}`);
    return found.raw;
  };
  return {
    name: 'INBOX',
    uidValidity: 1,
    uidNext: (messages.at(-1)?.uid ?? 0) + 1,
    highestModseq: 1,
    flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'],
    messages: messages.map(({ raw: _raw, ...ref }) => ref),
    async structure(ref) {
      return analyzeMessage(raw(ref));
    },
    async readHeader(ref) {
      return raw(ref).subarray(0, (await analyzeMessage(raw(ref))).headerLength);
    },
    async readHeaders(refs) {
      return Promise.all(refs.map((ref) => this.readHeader(ref)));
    },
    read(ref, start = 0, end) {
      return Readable.from([raw(ref).subarray(start, end ?? ref.size)]);
    },
    async readAll(ref) {
      return raw(ref);
    },
  };
}
