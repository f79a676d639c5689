/**
 * The one raw IMAP client the bench drives both servers with: pipelining (several tagged commands
 * in flight), streaming (literals are counted and skipped, never buffered — a `FETCH 1:* BODY.PEEK[]`
 * of 100,000 messages costs no memory) and byte-counting. Untagged responses are handed, by their
 * first line, to the oldest command in flight.
 */
import { connect, type Socket } from 'node:net';

export interface CommandOutcome {
  status: 'OK' | 'NO' | 'BAD';
  text: string;
  /** Untagged responses seen while this command was the oldest in flight. */
  untagged: number;
  /** Bytes received from the server between sending and completion (shared when pipelined). */
  bytes: number;
}

/** First line of an untagged response (literal contents excluded), e.g. `* 12 FETCH (UID 40 ...`. */
export type UntaggedHandler = (head: string, spaces: number) => void;

interface Pending {
  tag: string;
  onUntagged?: UntaggedHandler;
  untagged: number;
  bytesAtStart: number;
  resolve: (outcome: CommandOutcome) => void;
  reject: (error: Error) => void;
}

const LITERAL_AT_END = /\{(\d+)\+?\}\r\n$/;

export class BenchImapClient {
  /** Every byte received since connect. */
  bytesIn = 0;
  greeting = '';
  private readonly pending: Pending[] = [];
  private partial: Buffer[] = [];
  private literalLeft = 0;
  /** First line of the response being read (a response continues past each literal). */
  private head: string | null = null;
  private nextTag = 1;
  private closedError: Error | null = null;
  private greeted: ((head: string) => void) | null = null;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    const fail = (error: Error) => {
      this.closedError ??= error;
      for (const command of this.pending.splice(0)) command.reject(this.closedError);
    };
    socket.on('error', fail);
    socket.on('close', () => fail(new Error('connection closed by the server')));
  }

  static async connect(host: string, port: number): Promise<BenchImapClient> {
    const socket = connect(port, host);
    const client = new BenchImapClient(socket);
    client.greeting = await new Promise<string>((resolve, reject) => {
      client.greeted = resolve;
      socket.once('error', reject);
    });
    return client;
  }

  /** Sends one command (tag added); resolves on its tagged completion, whatever the status. */
  send(command: string, onUntagged?: UntaggedHandler): Promise<CommandOutcome> {
    if (this.closedError) return Promise.reject(this.closedError);
    const tag = `b${this.nextTag++}`;
    return new Promise((resolve, reject) => {
      this.pending.push({ tag, onUntagged, untagged: 0, bytesAtStart: this.bytesIn, resolve, reject });
      this.socket.write(`${tag} ${command}\r\n`);
    });
  }

  /** Like send(), but a NO or BAD is an error. */
  async run(command: string, onUntagged?: UntaggedHandler): Promise<CommandOutcome> {
    const outcome = await this.send(command, onUntagged);
    if (outcome.status !== 'OK') throw new Error(`${command.split(' ', 2).join(' ')}: ${outcome.status} ${outcome.text}`);
    return outcome;
  }

  async login(user: string, password: string): Promise<void> {
    await this.run(`LOGIN ${quoted(user)} ${quoted(password)}`);
  }

  /** APPEND with a non-synchronizing literal (LITERAL+, RFC 7888): pipelines without round trips. */
  appendLiteralPlus(folder: string, flags: string[], message: Buffer): Promise<CommandOutcome> {
    if (this.closedError) return Promise.reject(this.closedError);
    const tag = `b${this.nextTag++}`;
    return new Promise((resolve, reject) => {
      this.pending.push({ tag, untagged: 0, bytesAtStart: this.bytesIn, resolve, reject });
      this.socket.write(`${tag} APPEND ${quoted(folder)} (${flags.join(' ')}) {${message.length}+}\r\n`);
      this.socket.write(message);
      this.socket.write('\r\n');
    });
  }

  /** Drops the connection without LOGOUT (idle-connection tests close thousands at once). */
  destroy(): void {
    this.closedError ??= new Error('closed by the bench');
    this.socket.destroy();
  }

  async logout(): Promise<void> {
    await this.send('LOGOUT').catch(() => undefined);
    this.destroy();
  }

  private receive(chunk: Buffer): void {
    this.bytesIn += chunk.length;
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
        this.partial.push(chunk.subarray(position));
        return;
      }
      let lineBytes = chunk.subarray(position, newline + 1);
      if (this.partial.length > 0) {
        lineBytes = Buffer.concat([...this.partial, lineBytes]);
        this.partial = [];
      }
      position = newline + 1;
      this.line(lineBytes);
    }
  }

  private line(bytes: Buffer): void {
    // Only the start of a line matters to us; long header lines are not decoded in full.
    const text = bytes.length > 512 ? `${bytes.subarray(0, 400).toString('latin1')}${bytes.subarray(bytes.length - 40).toString('latin1')}` : bytes.toString('latin1');
    this.head ??= text;
    const literal = LITERAL_AT_END.exec(text);
    if (literal) {
      this.literalLeft = Number(literal[1]);
      return;
    }
    const head = this.head;
    this.head = null;
    // Spaces of the last line: a `* SEARCH` answer's hit count, however long the line.
    let spaces = 0;
    if (head.startsWith('* SEARCH') || head.startsWith('* search')) for (const byte of bytes) if (byte === 32) spaces += 1;
    this.complete(head, spaces);
  }

  private complete(head: string, spaces: number): void {
    if (this.greeted) {
      const greeted = this.greeted;
      this.greeted = null;
      greeted(head);
      return;
    }
    if (head.startsWith('+')) return; // only LITERAL+ appends: no continuation is awaited
    if (head.startsWith('* ')) {
      const oldest = this.pending[0];
      if (oldest) {
        oldest.untagged += 1;
        oldest.onUntagged?.(head, spaces);
      }
      return;
    }
    const space = head.indexOf(' ');
    const tag = head.slice(0, space);
    const index = this.pending.findIndex((command) => command.tag === tag);
    if (index < 0) return;
    const [command] = this.pending.splice(index, 1);
    const rest = head.slice(space + 1).trimEnd();
    const statusEnd = rest.indexOf(' ');
    const status = (statusEnd < 0 ? rest : rest.slice(0, statusEnd)).toUpperCase() as CommandOutcome['status'];
    command.resolve({ status, text: statusEnd < 0 ? '' : rest.slice(statusEnd + 1), untagged: command.untagged, bytes: this.bytesIn - command.bytesAtStart });
  }
}

export function quoted(value: string): string {
  return `"${value.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** Counts `* n FETCH` responses; hand it to send()/run(). */
export function fetchCounter(): { handler: UntaggedHandler; count: () => number } {
  let count = 0;
  return {
    handler: (head) => {
      if (/^\* \d+ FETCH/i.test(head)) count += 1;
    },
    count: () => count,
  };
}

/** Collects the numbers of `* SEARCH` responses. */
export function searchCollector(): { handler: UntaggedHandler; hits: () => number } {
  let hits = 0;
  return {
    handler: (head, spaces) => {
      if (/^\* SEARCH/i.test(head)) hits += Math.max(0, spaces - 1);
    },
    hits: () => hits,
  };
}
