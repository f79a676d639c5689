/**
 * Robustness: well-framed but otherwise random and mutated commands, sent through a real socket.
 * The server must never crash or hang, and every tagged command must get a tagged answer.
 * Commands are sampled with fast-check from a fixed seed, so a failure is reproducible.
 * The mix includes what once froze or crashed the server (issue 10): long wildcard patterns, deep
 * nesting, literals in every argument position, and clients that pipeline commands and then
 * half-close their socket. Meanwhile another client's NOOPs must keep being answered promptly.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { startTestServer, DAY } from './commands/fakes.js';
import type { ImapServer } from '../../src/proxy/server.js';

const TOTAL = 100_000;
const CONNECTIONS = 4;
const SEED = 20261123;
/** Literal limit of the server under test; line limit at the smallest the config accepts. */
const LIMIT = 2000;
const LINE_LIMIT = 8192;
/** Sessions that pipeline commands and then shut down their write side. */
const HALF_CLOSED_SESSIONS = 150;
/** The observer's NOOPs: generous for a loaded 2-core machine running fuzzer and server in one process. */
const NOOP_BOUND_MS = 500;

/** A command as the client frames it: text lines with a literal between each pair. */
interface FuzzCommand {
  lines: Buffer[];
  literals: Array<{ data: Buffer; sync: boolean }>;
}

const NAMES = [
  'CAPABILITY', 'NOOP', 'LOGOUT', 'ID', 'ENABLE', 'NAMESPACE', 'STARTTLS', 'COMPRESS', 'LOGIN', 'AUTHENTICATE',
  'LIST', 'LSUB', 'STATUS', 'SELECT', 'EXAMINE', 'CHECK', 'CLOSE', 'UNSELECT', 'IDLE', 'MYRIGHTS', 'GETACL',
  'LISTRIGHTS', 'FETCH', 'UID FETCH', 'SEARCH', 'UID SEARCH', 'SORT', 'THREAD', 'APPEND', 'STORE', 'UID STORE',
  'COPY', 'UID COPY', 'MOVE', 'EXPUNGE', 'UID EXPUNGE', 'CREATE', 'DELETE', 'RENAME', 'SUBSCRIBE', 'SETACL', 'XYZZY', 'UID',
];
const ATOMS = [
  'NIL', '1', '1:*', '*', '2,4:7', '0', '4294967296', 'INBOX', '%', '*', `${DAY}/INBOX`, '\\Seen', '(\\Deleted)',
  'FLAGS', 'BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>', 'BODY[]', 'BODY[1.2.MIME]', 'BINARY[1]<5.10>', 'RFC822.SIZE',
  'ENVELOPE', 'BODYSTRUCTURE', 'ALL', 'UID', 'RETURN', '(MESSAGES UNSEEN)', 'DEFLATE', 'PLAIN', 'UTF8=ACCEPT',
  'CHARSET', 'UTF-8', 'SUBJECT', 'REFERENCES', 'DONE', '""', '"a\\"b"', '[Gmail]/Sent', '~{3}',
];
const SPECIALS = '(){}[]<>"\\*% +~.:,\x00\x7f\xff\t';

/** What made the old backtracking LIST matcher take minutes: many wildcard pairs and a late mismatch. */
const wildcardPattern = fc
  .tuple(fc.array(fc.constantFrom('*%', '%*', '*', '%', 'a', '/', 'Snapshots'), { minLength: 8, maxLength: 600 }), fc.constantFrom('Z', '', 'INBOX', '/%'))
  .map(([parts, tail]) => parts.join('') + tail);
/** Nesting past every bound: NOT and OR chains (SEARCH recursion), parentheses (every list parser). */
const deepNesting = fc.oneof(
  fc.integer({ min: 1, max: 2000 }).map((n) => `${'NOT '.repeat(n)}ALL`),
  fc.integer({ min: 1, max: 1100 }).map((n) => `${'OR ALL '.repeat(n)}ALL`),
  fc.integer({ min: 1, max: 3000 }).map((n) => `${'('.repeat(n)}ALL${')'.repeat(n)}`),
  fc.integer({ min: 1, max: 200 }).map((n) => `${'NOT ('.repeat(n)}SEEN${')'.repeat(n)}`),
);
const atom = fc.oneof(
  { weight: 10, arbitrary: fc.constantFrom(...ATOMS) },
  { weight: 10, arbitrary: fc.stringMatching(/^[A-Za-z0-9.:*%\\-]{1,12}$/) },
  { weight: 10, arbitrary: fc.string({ unit: fc.constantFrom(...SPECIALS.split('')), maxLength: 6 }) },
  { weight: 1, arbitrary: wildcardPattern },
  { weight: 1, arbitrary: deepNesting },
);
const quoted = fc.string({ maxLength: 20 }).map((text) => `"${text.replace(/[\r\n]/g, '').replace(/["\\]/g, (c) => `\\${c}`)}"`);
const arg: fc.Arbitrary<string> = fc.letrec((tie) => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    quoted,
    fc.array(tie('arg') as fc.Arbitrary<string>, { maxLength: 4 }).map((items) => `(${items.join(' ')})`),
  ),
})).arg;

const literal = fc.record({
  data: fc.oneof(
    { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.integer({ min: LIMIT - 5, max: LIMIT * 3 }).map((size) => Buffer.alloc(size, 'L')) },
  ),
  sync: fc.boolean(),
});

const VALID = [
  'CAPABILITY', 'NOOP', 'ID NIL', 'ID ("name" "fuzz")', 'NAMESPACE', 'LIST "" *', 'LIST "" %', 'LSUB "" *',
  `STATUS "${DAY}/INBOX" (MESSAGES UNSEEN SIZE)`, `EXAMINE "${DAY}/INBOX"`, `SELECT "${DAY}/INBOX"`, `MYRIGHTS "${DAY}/INBOX"`,
  'FETCH 1:* (FLAGS)', 'UID FETCH 1:* (UID FLAGS)', 'SEARCH ALL', 'UID SEARCH UNSEEN', 'CHECK', 'UNSELECT', 'CLOSE',
  'STORE 1 +FLAGS (\\Seen)', 'COPY 1 INBOX', 'IDLE', 'LIST (SUBSCRIBED) "" * RETURN (STATUS (MESSAGES))', 'ENABLE UTF8=ACCEPT',
];

/** One text line: a well-formed command, or a command name with random arguments (then maybe mutated). */
const line = fc.oneof(
  fc.constantFrom(...VALID),
  fc.tuple(fc.constantFrom(...NAMES), fc.array(arg, { maxLength: 5 })).map(([name, args]) => [name, ...args].join(' ')),
);

const mutation = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ unit: fc.constantFrom(...SPECIALS.split('')), minLength: 1, maxLength: 4 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('bytes' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 6 }) }) },
  // Rarer than the others: each sends a line around the limit.
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('long' as const), size: fc.integer({ min: LINE_LIMIT - 10, max: LINE_LIMIT * 2 }) }) },
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(text: Buffer, mutations: Mutation[]): Buffer {
  let out = text;
  for (const m of mutations) {
    const at = 'at' in m ? m.at % (out.length + 1) : 0;
    if (m.kind === 'delete') out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.length)]);
    if (m.kind === 'insert') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.text, 'latin1'), out.subarray(at)]);
    if (m.kind === 'bytes') out = Buffer.concat([out.subarray(0, at), Buffer.from(m.bytes), out.subarray(at)]);
    if (m.kind === 'long') out = Buffer.concat([out, Buffer.alloc(m.size, 'x')]);
  }
  return out;
}

/** Removes line breaks and a trailing literal marker that the client did not mean. */
function clean(text: Buffer, last: boolean): Buffer {
  const bytes = Buffer.from(text.filter((byte) => byte !== 0x0a && byte !== 0x0d));
  return last && /~?\{\d+\+?\}$/.test(bytes.toString('latin1')) ? Buffer.concat([bytes, Buffer.from(' x')]) : bytes;
}

const mutatedCommand: fc.Arbitrary<FuzzCommand> = fc
  .tuple(fc.array(line, { minLength: 1, maxLength: 3 }), fc.array(literal, { maxLength: 2 }), fc.array(mutation, { maxLength: 3 }))
  .map(([texts, literals, mutations]) => {
    const count = Math.min(texts.length - 1, literals.length);
    const lines = texts.slice(0, count + 1).map((text, i) => {
      const mutated = i === 0 && mutations.length ? mutate(Buffer.from(text, 'latin1'), mutations) : Buffer.from(text, 'latin1');
      return clean(mutated, i === count);
    });
    return { lines, literals: literals.slice(0, count) };
  });

/**
 * A command built argument by argument, where any argument — at the top level or inside a list —
 * may be a literal (synchronising or not), so that literals reach every argument position.
 */
type Piece = string | { literal: { data: Buffer; sync: boolean } };
const literalArg: fc.Arbitrary<Piece[]> = literal.map((item) => [{ literal: item }]);
const pieceArg: fc.Arbitrary<Piece[]> = fc.letrec((tie) => ({
  arg: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom.map((text) => [text]),
    quoted.map((text) => [text]),
    literalArg,
    fc.array(tie('arg') as fc.Arbitrary<Piece[]>, { maxLength: 4 }).map((items) => ['(', ...items.flatMap((item, i) => (i ? [' ', ...item] : item)), ')']),
  ),
})).arg as fc.Arbitrary<Piece[]>;

const TEMPLATES = ['LIST', 'LSUB', 'STATUS', 'EXAMINE', 'SELECT', 'FETCH 1', 'UID FETCH 1:*', 'SEARCH', 'UID SEARCH', 'SEARCH CHARSET', 'SORT', 'THREAD', 'MYRIGHTS', 'GETACL', 'LISTRIGHTS', 'ID', 'ENABLE', 'LOGIN', 'COPY 1', 'APPEND', 'STORE 1', 'CREATE', 'XYZZY'];

const structuredCommand: fc.Arbitrary<FuzzCommand> = fc
  .tuple(fc.constantFrom(...TEMPLATES), fc.array(pieceArg, { minLength: 1, maxLength: 4 }))
  .map(([name, args]) => {
    const pieces: Piece[] = [name, ...args.flatMap((arg) => [' ', ...arg])];
    const lines: Buffer[] = [];
    const literals: FuzzCommand['literals'] = [];
    let current = '';
    for (const piece of pieces) {
      if (typeof piece === 'string') {
        current += piece;
      } else {
        lines.push(Buffer.from(current, 'latin1'));
        literals.push(piece.literal);
        current = '';
      }
    }
    lines.push(Buffer.from(current, 'latin1'));
    return { lines: lines.map((text, i) => clean(text, i === lines.length - 1)), literals };
  });

const fuzzCommand: fc.Arbitrary<FuzzCommand> = fc.oneof({ weight: 3, arbitrary: mutatedCommand }, { weight: 1, arbitrary: structuredCommand });

/** A command framed for pipelining: every literal sent as non-synchronising (LITERAL+). */
function pipelinedBytes(tag: string, command: FuzzCommand): Buffer {
  const wire: Buffer[] = [];
  command.lines.forEach((text, i) => {
    const literalSpec = command.literals[i];
    wire.push(i === 0 ? Buffer.from(`${tag} `) : Buffer.alloc(0), text);
    if (literalSpec) wire.push(Buffer.from(`{${literalSpec.data.length}+}\r\n`), literalSpec.data);
    else wire.push(Buffer.from('\r\n'));
  });
  return Buffer.concat(wire);
}

/**
 * A session that logs in, pipelines commands and shuts down its write side at once (half-close);
 * resolves with the number of tagged answers it got before the server closed (or 5 s passed).
 */
function halfClosedSession(port: number, commands: FuzzCommand[], index: number): Promise<number> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    let received = '';
    const finish = (): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve((received.match(/\r\nh\d+ (OK|NO|BAD) /g) ?? []).length);
    };
    const timer = setTimeout(finish, 5000);
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (received = (received + chunk).slice(-100_000)));
    socket.on('error', () => undefined);
    socket.on('close', finish);
    socket.on('connect', () => {
      const login = `a LOGIN alice secret\r\n${index % 2 ? `b SELECT "${DAY}/INBOX"\r\n` : ''}`;
      socket.write(Buffer.concat([Buffer.from(login), ...commands.map((command, i) => pipelinedBytes(`h${i}`, command))]));
      socket.end();
    });
  });
}

/** Drives one connection: sends a command, answers continuations, waits for its tagged reply. */
class FuzzClient {
  private socket!: net.Socket;
  private buffer = Buffer.alloc(0);
  private logical = '';
  private pendingLiteral = 0;
  private onLine: ((text: string) => void) | null = null;
  private onClose: (() => void) | null = null;
  closed = true;

  constructor(private readonly port: number) {}

  async connect(select: boolean): Promise<void> {
    const socket = net.connect({ host: '127.0.0.1', port: this.port });
    this.socket = socket;
    socket.setNoDelay(true);
    this.closed = false;
    this.buffer = Buffer.alloc(0);
    this.logical = '';
    this.pendingLiteral = 0;
    // Events of a previous connection of this client are ignored.
    socket.on('data', (chunk: Buffer) => this.socket === socket && this.receive(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.closed = true;
      this.onClose?.();
    });
    await this.expect(null, () => this.socket.write(''), (text) => text.startsWith('* OK'));
    await this.send('L', { lines: [Buffer.from('LOGIN alice secret')], literals: [] });
    if (select) await this.send('S', { lines: [Buffer.from(`SELECT "${DAY}/INBOX"`)], literals: [] });
  }

  /** Splits the server's output into logical lines, skipping over `{n}` literals. */
  private receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      if (this.pendingLiteral > 0) {
        const take = Math.min(this.pendingLiteral, this.buffer.length);
        this.pendingLiteral -= take;
        this.buffer = this.buffer.subarray(take);
        if (this.pendingLiteral > 0) return;
      }
      const lf = this.buffer.indexOf(0x0a);
      if (lf < 0) return;
      const text = this.buffer.subarray(0, lf).toString('latin1').replace(/\r$/, '');
      this.buffer = this.buffer.subarray(lf + 1);
      const marker = /\{(\d+)\}$/.exec(text);
      this.logical += text;
      if (marker) {
        this.pendingLiteral = Number(marker[1]);
        continue;
      }
      const full = this.logical;
      this.logical = '';
      this.onLine?.(full);
    }
  }

  private expect(tag: string | null, start: () => void, done: (text: string) => boolean, onContinuation?: () => void): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer for ${tag}`)), 10_000);
      const finish = (error: Error | null, text = ''): void => {
        clearTimeout(timer);
        this.onLine = null;
        this.onClose = null;
        if (error) reject(error);
        else resolve(text);
      };
      this.onLine = (text) => {
        if (done(text)) finish(null, text);
        else if (text.startsWith('+') && onContinuation) onContinuation();
      };
      this.onClose = () => finish(new Error(`connection closed before the answer to ${tag}`));
      start();
    });
  }

  /** Sends a command; resolves with the tagged reply line. */
  send(tag: string, command: FuzzCommand): Promise<string> {
    let next = 0; // index of the next line to send
    let awaitingContinuation: Buffer | null = null; // a synchronising literal's data, held until `+`
    const sendFrom = (): void => {
      while (next < command.lines.length) {
        const literalSpec = command.literals[next];
        const prefix = next === 0 ? Buffer.from(`${tag} `) : Buffer.alloc(0);
        if (!literalSpec) {
          this.socket.write(Buffer.concat([prefix, command.lines[next++], Buffer.from('\r\n')]));
          return;
        }
        const marker = Buffer.from(`{${literalSpec.data.length}${literalSpec.sync ? '' : '+'}}\r\n`);
        this.socket.write(Buffer.concat([prefix, command.lines[next++], marker]));
        if (literalSpec.sync) {
          awaitingContinuation = literalSpec.data;
          return;
        }
        this.socket.write(literalSpec.data);
      }
    };
    const onContinuation = (): void => {
      if (awaitingContinuation) {
        this.socket.write(awaitingContinuation);
        awaitingContinuation = null;
        sendFrom();
      } else {
        this.socket.write('DONE\r\n'); // IDLE or AUTHENTICATE asking for a line
      }
    };
    const answered = (text: string): boolean => /^(OK|NO|BAD)( |$)/.test(text.slice(tag.length + 1)) && text.startsWith(`${tag} `);
    return this.expect(tag, sendFrom, answered, onContinuation);
  }

  /**
   * Pipelines commands that never make the server read out of band (no synchronising literal,
   * no IDLE/AUTHENTICATE, nothing that ends or re-frames the connection); resolves with each reply.
   */
  sendBatch(batch: Array<{ tag: string; command: FuzzCommand }>): Promise<string[]> {
    const replies = new Map<string, string>();
    const wire = batch.map(({ tag, command }) => pipelinedBytes(tag, command));
    const tags = new Set(batch.map((item) => item.tag));
    return this.expect(
      batch[0].tag,
      () => this.socket.write(Buffer.concat(wire)),
      (text) => {
        const tag = text.slice(0, text.indexOf(' '));
        if (tags.has(tag) && /^(OK|NO|BAD)( |$)/.test(text.slice(tag.length + 1))) replies.set(tag, text);
        return replies.size === tags.size;
      },
    ).then(() => batch.map((item) => replies.get(item.tag)!));
  }

  end(): void {
    this.socket?.destroy();
  }
}

describe('fuzzing the command loop', () => {
  let server: ImapServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startTestServer({ maxLineBytes: LINE_LIMIT, maxLiteralBytes: LIMIT, idleKeepAliveSeconds: 3600, maxConnectionsPerIp: 1000 }));
  });
  afterAll(async () => {
    await server.close();
  });

  test(`${TOTAL} random and mutated commands each get a tagged answer, and the server survives`, async () => {
    const commands = fc.sample(fuzzCommand, { numRuns: TOTAL, seed: SEED });
    const answers: Record<string, number> = { OK: 0, NO: 0, BAD: 0 };
    let reconnects = 0;
    let pipelined = 0;
    const describe = (command: FuzzCommand) => JSON.stringify(command.lines.map((b) => b.toString('latin1')));
    // Commands after which the server reads a raw line, or that end or re-frame the connection.
    const sequential = (command: FuzzCommand) =>
      command.literals.some((item) => item.sync) || /IDLE|AUTH|LOGOUT|COMPRESS|STARTTLS/i.test(command.lines[0].toString('latin1'));
    const worker = async (index: number): Promise<void> => {
      const client = new FuzzClient(port);
      await client.connect(index % 2 === 0);
      let batch: Array<{ tag: string; command: FuzzCommand }> = [];
      const flush = async () => {
        if (batch.length === 0) return;
        const replies = await client.sendBatch(batch).catch((error: Error) => {
          throw new Error(`${error.message} in a batch of ${batch.length}: ${batch.map((item) => describe(item.command)).join('\n')}`);
        });
        for (const reply of replies) answers[reply.split(' ')[1]]++;
        pipelined += batch.length;
        batch = [];
      };
      for (let i = index; i < commands.length; i += CONNECTIONS) {
        const tag = `f${i}`;
        if (!sequential(commands[i])) {
          batch.push({ tag, command: commands[i] });
          if (batch.length >= 40) await flush();
          continue;
        }
        await flush();
        const reply = await client.send(tag, commands[i]).catch((error: Error) => {
          throw new Error(`${error.message}: ${describe(commands[i])}`);
        });
        answers[reply.split(' ')[1]]++;
        if (client.closed || /^(LOGOUT|COMPRESS)/i.test(commands[i].lines[0].toString('latin1')) && reply.includes(' OK')) {
          client.end();
          reconnects++;
          await client.connect(i % 3 === 0);
        }
      }
      await flush();
      client.end();
    };
    // A bystander: NOOPs every 20 ms on its own connection, timed, for as long as the fuzzing runs.
    let fuzzing = true;
    const noopLatencies: number[] = [];
    const observer = async (): Promise<void> => {
      const client = new FuzzClient(port);
      await client.connect(true);
      for (let i = 0; fuzzing; i++) {
        const started = performance.now();
        expect(await client.send(`n${i}`, { lines: [Buffer.from('NOOP')], literals: [] })).toBe(`n${i} OK NOOP completed`);
        noopLatencies.push(performance.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      client.end();
    };
    // Sessions that pipeline a few commands and half-close; the process must survive every one.
    const halfCloseCommands = fc.sample(fuzzCommand, { numRuns: HALF_CLOSED_SESSIONS * 8, seed: SEED + 1 }).filter((command) => !sequential(command));
    let halfClosedAnswers = 0;
    const halfClosers = async (): Promise<void> => {
      for (let i = 0; i < HALF_CLOSED_SESSIONS; i++) {
        const batch = halfCloseCommands.slice((i * 5) % halfCloseCommands.length).slice(0, 1 + (i % 5));
        halfClosedAnswers += await halfClosedSession(port, batch, i);
      }
    };
    const watching = observer();
    await Promise.all([...Array.from({ length: CONNECTIONS }, (_, index) => worker(index)), halfClosers()]);
    fuzzing = false;
    await watching;
    const sorted = [...noopLatencies].sort((a, b) => a - b);
    const worstNoop = sorted.at(-1) ?? Infinity;
    if (process.env.FUZZ_STATS) {
      const p99 = sorted[Math.floor(sorted.length * 0.99)];
      console.log(answers, { reconnects, pipelined, halfClosedAnswers, noops: sorted.length, p99Ms: p99?.toFixed(1), worstMs: worstNoop.toFixed(1) });
    }
    expect(noopLatencies.length).toBeGreaterThan(20);
    expect(worstNoop).toBeLessThan(NOOP_BOUND_MS);
    expect(answers.OK + answers.NO + answers.BAD).toBe(TOTAL);
    // The mix really exercised every outcome.
    expect(answers.BAD).toBeGreaterThan(TOTAL / 4);
    expect(answers.OK).toBeGreaterThan(100);
    expect(answers.NO).toBeGreaterThan(100);
    expect(reconnects).toBeGreaterThan(0);
    expect(pipelined).toBeGreaterThan(TOTAL / 2);
    // And the server still serves a fresh client normally.
    const probe = new FuzzClient(port);
    await probe.connect(true);
    expect(await probe.send('last', { lines: [Buffer.from('NOOP')], literals: [] })).toBe('last OK NOOP completed');
    probe.end();
  }, 240_000);
});
