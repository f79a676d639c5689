/**
 * A line-level IMAP client for the end-to-end tests that need to drive the protocol by hand:
 * synchronising literals (wait for `+`), raw garbage, STARTTLS upgrades, server-side logouts.
 * Responses are collected as text lines (CRLF stripped); literals in responses are not needed here.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';

export class Wire {
  readonly lines: string[] = [];
  closed = false;
  private partial = '';
  private waiters: Array<() => void> = [];

  private constructor(readonly socket: Socket | TLSSocket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.receive(chunk));
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  /**
   * Connects and waits for the greeting (`lines[0]`); `tls` connects with implicit TLS. A
   * `localAddress` (127.0.0.2, 127.0.0.3 … on Linux loopback; plain connections) makes the server see another client.
   */
  static async connect(port: number, options: { tls?: boolean; localAddress?: string } = {}): Promise<Wire> {
    const { localAddress } = options;
    const socket = options.tls
      ? tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false, servername: 'localhost' })
      : netConnect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once(options.tls ? 'secureConnect' : 'connect', () => resolve());
      socket.once('error', reject);
    });
    const wire = new Wire(socket);
    await wire.waitFor(() => true);
    return wire;
  }

  /** After a tagged `OK` to STARTTLS: the same connection, now over TLS. */
  async startTls(): Promise<Wire> {
    this.socket.removeAllListeners('data');
    const secure = tlsConnect({ socket: this.socket, rejectUnauthorized: false, servername: 'localhost' });
    await new Promise<void>((resolve, reject) => {
      secure.once('secureConnect', () => resolve());
      secure.once('error', reject);
    });
    return new Wire(secure);
  }

  write(data: string | Buffer): void {
    this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }

  /** Waits for a line at index ≥ `from` that satisfies `match`; returns lines from `from` through it. */
  async waitFor(match: (line: string) => boolean, from = this.lines.length, timeoutMs = 20000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((line, i) => i >= from && match(line));
      if (index >= 0) return this.lines.slice(from, index + 1);
      if (this.closed) throw new Error(`connection closed while waiting; got: ${JSON.stringify(this.lines.slice(from))}`);
      if (Date.now() > deadline) throw new Error(`no matching line; got: ${JSON.stringify(this.lines.slice(from))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()) + 5);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Sends `<tag> <text>` and returns every line up to and including the tagged one. */
  async command(tag: string, text: string): Promise<string[]> {
    const from = this.lines.length;
    this.write(`${tag} ${text}\r\n`);
    return this.waitFor((line) => line.startsWith(`${tag} `), from);
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = 20000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('the server kept the connection open');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  end(): void {
    this.socket.destroy();
  }

  private receive(chunk: string): void {
    this.partial += chunk;
    let end: number;
    while ((end = this.partial.indexOf('\r\n')) >= 0) {
      this.lines.push(this.partial.slice(0, end));
      this.partial = this.partial.slice(end + 2);
    }
    this.wake();
  }

  private close(): void {
    this.closed = true;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter();
  }
}
