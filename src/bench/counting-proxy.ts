/**
 * A loopback TCP relay between a client under test (our snapshotter, mbsync) and Dovecot that
 * counts what crosses it — commands the client sent (lines starting with a tag) and bytes the server
 * sent — so the bench measures the wire without touching product code.
 */
import net, { type AddressInfo, type Socket } from 'node:net';
import zlib from 'node:zlib';

export interface WireCounts {
  commands: number;
  /** Commands by verb ("UID FETCH", "EXAMINE" …). */
  verbs: Record<string, number>;
  bytesFromServer: number;
  bytesFromClient: number;
}

export interface CountingProxy {
  port: number;
  /** Counts since the last reset. */
  counts(): WireCounts;
  reset(): void;
  close(): Promise<void>;
}

const COMMAND_LINE = /^[A-Za-z0-9._-]+ ([A-Za-z]+)(?: ([A-Za-z]+))?/;

/** Reads the client's byte stream line by line, skipping literals, and counts tagged commands. */
class ClientLineCounter {
  private partial = '';
  private literalLeft = 0;

  constructor(private readonly onCommand: (verb: string) => void) {}

  feed(chunk: Buffer): void {
    let position = 0;
    while (position < chunk.length) {
      if (this.literalLeft > 0) {
        const take = Math.min(this.literalLeft, chunk.length - position);
        this.literalLeft -= take;
        position += take;
        continue;
      }
      const newline = chunk.indexOf(10, position);
      if (newline < 0) {
        this.partial += chunk.toString('latin1', position, Math.min(chunk.length, position + 4096));
        return;
      }
      const text = this.partial + chunk.toString('latin1', position, newline + 1);
      this.partial = '';
      position = newline + 1;
      this.line(text);
    }
  }

  private line(text: string): void {
    // A literal continues the same command: its contents and the rest of the line are not commands.
    const continues = /\{(\d+)\+?\}\r?\n$/.exec(text);
    if (continues) this.literalLeft = Number(continues[1]);
    if (this.continuing) {
      this.continuing = Boolean(continues);
      return;
    }
    this.continuing = Boolean(continues);
    const command = COMMAND_LINE.exec(text);
    // IDLE's DONE and SASL responses are untagged client lines, not commands.
    if (!command) return;
    const first = command[1].toUpperCase();
    const verb = first === 'UID' && command[2] ? `UID ${command[2].toUpperCase()}` : first;
    this.onCommand(verb);
  }

  private continuing = false;
}

export async function startCountingProxy(upstreamHost: string, upstreamPort: number): Promise<CountingProxy> {
  let counts: WireCounts = { commands: 0, verbs: {}, bytesFromServer: 0, bytesFromClient: 0 };
  const sockets = new Set<Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, upstreamHost);
    sockets.add(client);
    sockets.add(upstream);
    // After COMPRESS DEFLATE the client's bytes are deflated (RFC 4978): count commands in the inflated copy.
    let inflate: zlib.InflateRaw | null = null;
    let compressing = false;
    const lines = new ClientLineCounter((verb) => {
      counts.commands += 1;
      counts.verbs[verb] = (counts.verbs[verb] ?? 0) + 1;
      if (verb === 'COMPRESS') compressing = true;
    });
    client.on('data', (chunk: Buffer) => {
      counts.bytesFromClient += chunk.length;
      if (inflate) inflate.write(chunk);
      else lines.feed(chunk);
      if (compressing && !inflate) {
        inflate = zlib.createInflateRaw();
        inflate.on('data', (plain: Buffer) => lines.feed(plain));
        inflate.on('error', () => undefined);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      counts.bytesFromServer += chunk.length;
    });
    client.pipe(upstream);
    upstream.pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    counts: () => ({ ...counts, verbs: { ...counts.verbs } }),
    reset() {
      counts = { commands: 0, verbs: {}, bytesFromServer: 0, bytesFromClient: 0 };
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
