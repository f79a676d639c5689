/**
 * Issue 10, items 1, 9 and 10 against the real server over a real store: one client's heavy or
 * hostile commands must neither freeze the other sessions (the event loop is shared), nor forge or
 * break response lines, nor overflow the stack.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import type { ImapFlow } from 'imapflow';
import { generateMessage } from '../../src/testbed/corpus.js';
import { testbedFromEnv } from '../../src/testbed/dovecot.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { Wire } from './wire.js';

const ACCOUNT = 'e2e-hostile';
const PASSWORD = 'hostile-pw-1';
/** As big as the folder of the report (SEARCH TEXT blocked other clients' NOOPs for ~0.9 s). */
const BIG_COUNT = 6000;
/**
 * A NOOP may wait this long, or a quarter of the heavy command's own run time when that is longer
 * (on a loaded machine everything slows down alike). A command that never lets others in makes the
 * NOOP wait for nearly all of its run time.
 */
const NOOP_BOUND_MS = 400;
/** `1,3,5,…`: a sequence set of 10,000 ranges, as long as a command line may be. */
const MANY_RANGES = Array.from({ length: 10_000 }, (_, i) => 2 * i + 1).join(',');

/**
 * Writes the messages straight into Dovecot's Maildir (APPENDing 6,000 messages one by one would
 * take most of a minute); Dovecot indexes them when the snapshot opens the folder.
 */
function writeMaildirFolder(root: string, user: string, folder: string, count: number): void {
  const dir = join(root, 'mail', user, `.${folder}`);
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub), { recursive: true });
  writeFileSync(join(dir, 'maildirfolder'), '');
  const base = Math.floor(Date.UTC(2026, 0, 1) / 1000);
  for (let index = 0; index < count; index++) {
    const message = generateMessage(index, 3, { minBytes: 1500, maxBytes: 4000 });
    const received = base + index * 60;
    const file = join(dir, 'cur', `${received}.M${index}P1.hostile,S=${message.length}:2,S`);
    writeFileSync(file, message);
    utimesSync(file, received, received);
  }
  if (process.getuid?.() === 0) execFileSync('chown', ['-R', 'mtm-mail:mtm-mail', join(root, 'mail', user)]);
}

let server: SnapshotServer;
let day: string;

beforeAll(async () => {
  const seed = async (live: ImapFlow): Promise<void> => {
    for (const subject of ['one', 'two', 'three']) {
      await live.append('INBOX', Buffer.from(`From: a@example.com\r\nSubject: ${subject}\r\n\r\nbody ${subject}\r\n`));
    }
    await live.mailboxCreate('Big');
    writeMaildirFolder(testbedFromEnv().root, ACCOUNT, 'Big', BIG_COUNT);
  };
  server = await startSnapshotServer({ accounts: [{ user: ACCOUNT, password: PASSWORD, seed }] });
  day = server.day;
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

async function loggedIn(folder: string): Promise<Wire> {
  const wire = await Wire.connect(server.port);
  expect((await wire.command('L', `LOGIN ${ACCOUNT} ${PASSWORD}`)).at(-1)).toMatch(/^L OK/);
  expect((await wire.command('E', `EXAMINE "Snapshots/${day}/${folder}"`)).at(-1)).toMatch(/^E OK/);
  return wire;
}

/** A client that sends one command and only watches for its tagged reply, reading everything (a fast reader). */
async function heavyCommand(tag: string, command: string): Promise<{ reply: Promise<string>; socket: Socket }> {
  const socket = connect(server.port, '127.0.0.1');
  let tail = '';
  let waiting: ((line: string) => void) | null = null;
  let wanted = '';
  socket.setEncoding('latin1');
  socket.on('data', (chunk: string) => {
    tail = (tail + chunk).slice(-4096);
    const at = tail.indexOf(`\r\n${wanted} `);
    if (waiting && wanted && at >= 0) {
      const end = tail.indexOf('\r\n', at + 2);
      if (end < 0) return;
      const done = waiting;
      waiting = null;
      done(tail.slice(at + 2, end));
    }
  });
  const send = (nextTag: string, text: string) =>
    new Promise<string>((resolve) => {
      wanted = nextTag;
      waiting = resolve;
      socket.write(`${nextTag} ${text}\r\n`);
    });
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  expect(await send('L', `LOGIN ${ACCOUNT} ${PASSWORD}`)).toMatch(/^L OK/);
  expect(await send('E', `EXAMINE "Snapshots/${day}/Big"`)).toMatch(/^E OK/);
  return { reply: send(tag, command), socket };
}

/** Runs `command` on one connection while another sends NOOPs back to back; the slowest NOOP's latency. */
async function noopLatencyDuring(command: string): Promise<{ worstMs: number; noops: number; reply: string; commandMs: number }> {
  const observer = await loggedIn('INBOX');
  const heavy = await heavyCommand('HEAVY9', command);
  const started = performance.now();
  let finished = false;
  let reply = '';
  let commandMs = 0;
  const done = heavy.reply.then((line) => {
    finished = true;
    reply = line;
    commandMs = performance.now() - started;
  });
  let worstMs = 0;
  let noops = 0;
  while (!finished) {
    const started = performance.now();
    const lines = await observer.command(`n${noops}`, 'NOOP');
    worstMs = Math.max(worstMs, performance.now() - started);
    expect(lines.at(-1)).toMatch(/ OK /);
    noops++;
  }
  await done;
  heavy.socket.destroy();
  observer.end();
  return { worstMs, noops, reply, commandMs };
}

describe('one client cannot freeze the others', () => {
  test.each([
    ['SEARCH TEXT over the whole folder', 'SEARCH TEXT "no-such-needle-in-any-message"'],
    ['SEARCH of a header over the whole folder', 'SEARCH HEADER X-Nothing "no-such-value"'],
    ['FETCH of every message', 'FETCH 1:* (ENVELOPE BODYSTRUCTURE BODY.PEEK[])'],
    ['SORT of the whole folder', 'SORT (SUBJECT) UTF-8 ALL'],
    ['THREAD of the whole folder', 'THREAD REFERENCES UTF-8 ALL'],
    ['UID FETCH of a set of 10,000 ranges', `UID FETCH ${MANY_RANGES} (FLAGS)`],
    ['SEARCH of a set of 10,000 ranges', `SEARCH ${MANY_RANGES}`],
  ])(`another client's NOOPs are answered within ${NOOP_BOUND_MS} ms (or a quarter of the command's time) during %s (${BIG_COUNT} messages)`, async (_name, command) => {
    const { worstMs, noops, reply, commandMs } = await noopLatencyDuring(command);
    expect(reply).toMatch(/^HEAVY9 OK/);
    expect(worstMs).toBeLessThan(Math.max(NOOP_BOUND_MS, commandMs / 4));
    // The NOOPs really ran while the command did — unless the whole command took less than the
    // bound, in which case no NOOP can have waited longer than the bound either.
    expect({ noops, commandMs, interleavedOrQuick: noops > 2 || commandMs < NOOP_BOUND_MS }).toMatchObject({ interleavedOrQuick: true });
  }, 120_000);
});

describe('echoed input cannot forge or break response lines', () => {
  let wire: Wire;
  beforeAll(async () => {
    wire = await loggedIn('INBOX');
  });
  afterAll(() => wire?.end());

  test('an unknown FETCH item ending like a literal does not make its BAD end in {3}', async () => {
    const lines = await wire.command('t', 'FETCH 1 (X~{3})');
    expect(lines.at(-1)).toMatch(/^t BAD /);
    expect(lines.at(-1)).not.toMatch(/\{\d*\+?\}$/);
    // The client is not left waiting for a literal: the next command is answered normally.
    expect(await wire.command('n', 'NOOP')).toEqual(['n OK NOOP completed']);
  });

  test('a CRLF inside a SEARCH CHARSET literal cannot forge untagged lines', async () => {
    const charset = 'X\r\n* 999 EXISTS\r\nt2 OK forged';
    const from = wire.lines.length;
    wire.write(`c SEARCH CHARSET {${Buffer.byteLength(charset)}+}\r\n${charset} ALL\r\n`);
    await wire.waitFor((line) => line.startsWith('c '), from);
    await wire.command('n2', 'NOOP');
    // Everything the server sent for both commands: one NO, one OK, nothing in between.
    const lines = wire.lines.slice(from);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^c NO \[BADCHARSET/);
    expect(lines).not.toContain('* 999 EXISTS');
    expect(lines[1]).toBe('n2 OK NOOP completed');
  });
});

describe('deep nesting gets a clean BAD', () => {
  test('4,000 nested NOTs and 4,000 nested ORs are refused with BAD, not SERVERBUG, and the session goes on', async () => {
    const wire = await loggedIn('INBOX');
    for (const [tag, keys] of [
      ['d1', `${'NOT '.repeat(4000)}ALL`],
      ['d2', `${'OR ALL '.repeat(4000)}ALL`],
      ['d3', `${'NOT ('.repeat(40)}ALL${')'.repeat(40)} ${'OR '.repeat(3000)}${'ALL '.repeat(3000)}ALL`],
    ]) {
      const reply = (await wire.command(tag, `SEARCH ${keys}`)).at(-1)!;
      expect(reply).toMatch(new RegExp(`^${tag} BAD `));
      expect(reply).not.toContain('SERVERBUG');
    }
    // Deep parentheses are bounded by the command parser, for every command.
    const parens = (await wire.command('d4', `FETCH 1 ${'('.repeat(5000)}FLAGS${')'.repeat(5000)}`)).at(-1)!;
    expect(parens).toMatch(/^d4 BAD /);
    // Nesting that real clients use still works.
    expect(await wire.command('d5', `SEARCH ${'NOT '.repeat(20)}ALL`)).toEqual(['* SEARCH 1 2 3', 'd5 OK SEARCH completed']);
    expect((await wire.command('d6', `SEARCH ${'OR SEEN '.repeat(50)}ALL`))[0]).toBe('* SEARCH 1 2 3');
    wire.end();
  });
});

/** Bytes a hostile client puts into arguments: line breaks, NUL, literal markers, forged responses. */
const payload = fc.oneof(
  fc.constantFrom('X~{3}', '{3}', '{0+}', '~{99}', 'a\r\n* 999 EXISTS\r\nFORGED OK x', '\r\n+ go on\r\n', 'x\0y', '\n* BYE', `${'A'.repeat(3000)}{5}`, 'é\r'),
  fc.uint8Array({ maxLength: 40 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom('{1}', '{12+}', '~{3}', '\r\n* 77 FETCH (FLAGS ())')).map(([a, b]) => a + b),
);

/** One argument as the client may frame it. */
const argument = fc.oneof(
  payload.map((text) => ({ text: `"${text.replace(/[\r\n]/g, '').replace(/["\\]/g, (c) => `\\${c}`)}"`, literal: null as string | null })),
  payload.map((text) => ({ text: '', literal: text })),
  payload.map((text) => ({ text: text.replace(/[\r\n\0 ()"]/g, '') || 'x', literal: null as string | null })),
);

const TEMPLATES = [
  'FETCH 1 ($)', 'FETCH 1 (BODY.PEEK[$])', 'SEARCH CHARSET $ ALL', 'SEARCH HEADER $ $', 'SEARCH $', 'SEARCH RETURN ($) ALL',
  'LIST $ $', 'LIST "" ($) RETURN ($)', 'STATUS $ (MESSAGES)', 'STATUS INBOX ($)', 'EXAMINE $', 'MYRIGHTS $', 'LISTRIGHTS $ $',
  'GETACL $', 'ID ($ $)', 'ENABLE $', '$', '$ $', 'UID $ 1', 'SORT ($) UTF-8 ALL', 'THREAD $ UTF-8 ALL', 'COPY 1 $', 'CREATE $',
  'STORE 1 $ (\\Seen)', 'LOGIN $ $', 'FETCH $ FLAGS', 'SEARCH UID $',
];

const hostileCommand = fc.tuple(fc.constantFrom(...TEMPLATES), fc.array(argument, { minLength: 2, maxLength: 2 })).map(([template, args]) => {
  // Each `$` takes the next argument; a literal ends the current line, as on the wire.
  const parts = template.split('$');
  const chunks: Buffer[] = [];
  let line = parts[0];
  parts.slice(1).forEach((after, index) => {
    const arg = args[index];
    if (arg.literal !== null) {
      const bytes = Buffer.from(arg.literal, 'latin1');
      chunks.push(Buffer.from(`${line}{${bytes.length}+}\r\n`, 'latin1'), bytes);
      line = after;
    } else {
      line += arg.text + after;
    }
  });
  // A line that ends like a synchronising literal would make the server wait for its bytes.
  if (/\{\d+\+?\}$/.test(line)) line += ' x';
  chunks.push(Buffer.from(`${line}\r\n`, 'latin1'));
  return Buffer.concat(chunks);
});

/**
 * Checks the server's bytes for one command: every line ends in CRLF with no other CR, LF or NUL;
 * `{n}` at the end of a data line is followed by n bytes; a status line (tagged, `* OK|NO|BAD|BYE`,
 * `+`) never ends in a literal announcement. Returns the tagged line once complete, else null.
 */
function checkResponses(bytes: Buffer, tag: string): { tagged: string | null; problems: string[] } {
  const problems: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const lf = bytes.indexOf(0x0a, at);
    if (lf < 0) return { tagged: null, problems };
    const raw = bytes.subarray(at, lf + 1);
    at = lf + 1;
    const text = raw.toString('latin1');
    if (!text.endsWith('\r\n') || /[\r\n\0]/.test(text.slice(0, -2))) problems.push(`malformed line ${JSON.stringify(text)}`);
    const line = text.slice(0, -2);
    const status = /^(\S+) (OK|NO|BAD|BYE|PREAUTH)\b/.exec(line);
    const marker = /\{(\d+)\+?\}$/.exec(line);
    if (line.startsWith('+') || status) {
      if (marker) problems.push(`status line ends in a literal announcement: ${JSON.stringify(line)}`);
      if (status && status[1] === tag) return { tagged: line, problems };
      if (status && status[1] !== '*') problems.push(`line with a foreign tag: ${JSON.stringify(line)}`);
      continue;
    }
    if (!line.startsWith('* ')) problems.push(`line that is no response: ${JSON.stringify(line)}`);
    // What the payloads try to forge (INBOX has 3 messages).
    if (/^\* (999 EXISTS|77 FETCH)/.test(line)) problems.push(`forged line: ${line}`);
    if (marker) at += Number(marker[1]);
  }
  return { tagged: null, problems };
}

describe('whatever bytes a client sends, response lines stay well-formed', () => {
  test('hostile arguments in every position of many commands never forge, split or end a status line in {n}', async () => {
    const socket = connect(server.port, '127.0.0.1');
    let received = Buffer.alloc(0);
    let wake: (() => void) | null = null;
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      wake?.();
    });
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    const exchange = async (tag: string, command: Buffer): Promise<string> => {
      received = Buffer.alloc(0);
      socket.write(Buffer.concat([Buffer.from(`${tag} `), command]));
      const deadline = Date.now() + 20_000;
      for (;;) {
        const { tagged, problems } = checkResponses(received, tag);
        if (problems.length) throw new Error(`${problems.join('; ')} after ${JSON.stringify(command.toString('latin1'))}`);
        if (tagged) return tagged;
        if (Date.now() > deadline) throw new Error(`no tagged answer to ${JSON.stringify(command.toString('latin1'))}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 200);
        });
      }
    };
    await new Promise((resolve) => setTimeout(resolve, 50)); // the greeting
    expect(await exchange('L', Buffer.from(`LOGIN ${ACCOUNT} ${PASSWORD}\r\n`))).toMatch(/^L OK/);
    expect(await exchange('E', Buffer.from(`EXAMINE "Snapshots/${day}/INBOX"\r\n`))).toMatch(/^E OK/);
    let count = 0;
    await fc.assert(
      fc.asyncProperty(hostileCommand, async (command) => {
        const reply = await exchange(`h${count++}`, command);
        expect(reply).toMatch(/^h\d+ (OK|NO|BAD) /);
      }),
      { numRuns: 400, seed: 20261129 },
    );
    // Still in sync and still serving.
    expect(await exchange('y', Buffer.from(`EXAMINE "Snapshots/${day}/INBOX"\r\n`))).toMatch(/^y OK/);
    expect(await exchange('z', Buffer.from('SEARCH ALL\r\n'))).toBe('z OK SEARCH completed');
    socket.destroy();
  }, 120_000);
});
