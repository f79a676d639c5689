/**
 * Test doubles for the proxy ports and a small line-oriented IMAP client for the server tests.
 * Not a test file itself.
 */
import net from 'node:net';
import tls from 'node:tls';
import { Readable } from 'node:stream';
import pino from 'pino';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import type { LoginService, MailboxInfo, MessageRef, OpenMailbox, SnapshotView } from '../../../src/proxy/ports.js';
import { createImapServer, type ImapServer, type ImapServerOptions } from '../../../src/proxy/server.js';

export const DAY = 'Snapshots/2026-11-23';

function message(uid: number, flags: string[], text: string): MessageRef & { text: string } {
  return { uid, flags, internalDate: new Date('2026-11-23T10:00:00Z'), size: Buffer.byteLength(text), blobHash: `h${uid}`, text };
}

export const FOLDERS: Record<string, Array<MessageRef & { text: string }>> = {
  [`${DAY}/INBOX`]: [
    message(3, ['\\Seen'], 'Subject: one\r\n\r\nHello\r\n'),
    message(7, [], 'Subject: two\r\n\r\nWorld\r\n'),
    message(9, ['\\Seen', '\\Flagged'], 'Subject: three\r\n\r\nAgain\r\n'),
  ],
  [`${DAY}/Archive/2025`]: [message(1, ['\\Seen'], 'Subject: old\r\n\r\nOld\r\n')],
  [`${DAY}/Café`]: [],
};

export function fakeMailbox(name: string): OpenMailbox | null {
  const messages = FOLDERS[name];
  if (!messages) return null;
  return {
    name,
    uidValidity: 1700000000,
    uidNext: (messages.at(-1)?.uid ?? 0) + 1,
    highestModseq: 42,
    flags: ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'],
    messages,
    structure: async (ref) => analyzeMessage(Buffer.from((ref as MessageRef & { text: string }).text)),
    readHeader: async (ref) => {
      const raw = Buffer.from((ref as MessageRef & { text: string }).text);
      return raw.subarray(0, (await analyzeMessage(raw)).headerLength);
    },
    async readHeaders(refs) {
      return Promise.all(refs.map((ref) => this.readHeader(ref)));
    },
    read: (ref, start = 0, end) => Readable.from([Buffer.from((ref as MessageRef & { text: string }).text).subarray(start, end)]),
    readAll: async (ref) => Buffer.from((ref as MessageRef & { text: string }).text),
  };
}

export function fakeView(account = 'alice'): SnapshotView {
  const mailboxes: MailboxInfo[] = [
    { name: 'Snapshots', selectable: false, hasChildren: true },
    { name: DAY, selectable: false, hasChildren: true },
    { name: `${DAY}/INBOX`, selectable: true, hasChildren: false },
    // `${DAY}/Archive` is deliberately missing: the server must imply it.
    { name: `${DAY}/Archive/2025`, selectable: true, hasChildren: false },
    { name: `${DAY}/Café`, selectable: true, hasChildren: false },
  ];
  return { account, listMailboxes: async () => mailboxes, openMailbox: async (name) => fakeMailbox(name) };
}

/** Accepts alice/secret; `down` answers UNAVAILABLE; records every attempt. */
export function fakeLoginService(): LoginService & { attempts: Array<{ user: string; password: string }> } {
  const attempts: Array<{ user: string; password: string }> = [];
  return {
    attempts,
    async login(user, password) {
      attempts.push({ user, password });
      if (user === 'down') return { ok: false, code: 'UNAVAILABLE', text: 'The mail server is not answering; try again in a few minutes' };
      if (user === 'alice' && password === 'secret') return { ok: true, account: 'alice', view: fakeView() };
      return { ok: false, code: 'AUTHENTICATIONFAILED', text: 'Invalid credentials' };
    },
  };
}

export const silentLogger = pino({ level: 'silent' });

export async function startTestServer(options: Partial<ImapServerOptions> = {}): Promise<{ server: ImapServer; port: number; tlsPort?: number }> {
  const server = createImapServer({
    host: '127.0.0.1',
    port: 0,
    allowPlaintextAuth: true,
    loginService: fakeLoginService(),
    logger: silentLogger,
    ...options,
  });
  const ports = await server.listen();
  return { server, ...ports };
}

/** A raw client: writes bytes, collects response lines (literals are kept inline in the line). */
export class TestClient {
  private buffer = Buffer.alloc(0);
  readonly lines: string[] = [];
  private waiters: Array<() => void> = [];
  closed = false;

  constructor(public socket: net.Socket | tls.TLSSocket) {
    this.listen(socket);
  }

  /** `localAddress` (127.0.0.2, 127.0.0.3 … on Linux loopback; plain connections) makes the server see distinct clients. */
  static async connect(port: number, options: { tls?: boolean; localAddress?: string } = {}): Promise<TestClient> {
    const { localAddress } = options;
    const socket = options.tls
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false })
      : net.connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const client = new TestClient(socket);
    await client.waitFor((line) => line.startsWith('* '));
    return client;
  }

  listen(socket: net.Socket | tls.TLSSocket): void {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      let lf: number;
      while ((lf = this.buffer.indexOf(0x0a)) >= 0) {
        this.lines.push(this.buffer.subarray(0, lf + 1).toString('utf8').replace(/\r?\n$/, ''));
        this.buffer = this.buffer.subarray(lf + 1);
      }
      this.wake();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
    socket.on('error', () => undefined);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }

  write(data: string | Buffer): void {
    this.socket.write(data);
  }

  /** Waits until a line (from `from` on) satisfies the predicate; returns the lines up to it. */
  async waitFor(predicate: (line: string) => boolean, from = 0): Promise<string[]> {
    for (;;) {
      const index = this.lines.findIndex((line, i) => i >= from && predicate(line));
      if (index >= 0) return this.lines.slice(from, index + 1);
      if (this.closed) throw new Error(`connection closed; got:\n${this.lines.slice(from).join('\n')}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Sends `tag text` and returns every line up to the tagged completion. */
  async command(tag: string, text: string): Promise<string[]> {
    const from = this.lines.length;
    this.write(`${tag} ${text}\r\n`);
    return this.waitFor((line) => line.startsWith(`${tag} `), from);
  }

  async closedByServer(): Promise<void> {
    while (!this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  end(): void {
    this.socket.destroy();
  }
}
