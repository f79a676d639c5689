/**
 * Issue 11 item 3, the sync extensions clients rely on: CONDSTORE/QRESYNC (RFC 7162), ESORT and
 * CONTEXT=SEARCH/SORT (RFC 5267), AUTH=LOGIN, SORT=DISPLAY and BINARY's UNKNOWN-CTE — each command
 * sent over a real socket to the live Dovecot (EXAMINE of the live folder) and to our server
 * (EXAMINE of its snapshot), answers compared. Mod-sequence values are each server's own (ours are
 * the folder's captured HIGHESTMODSEQ, see src/proxy/protocol/modseq.ts), so those answers are
 * compared with the numbers masked: which UIDs come back, which VANISHED, in what shape.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { RawImap } from '../fixtures/raw-imap.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { Wire } from './wire.js';

const ACCOUNT = 'e2e-sync';
const PASSWORD = 'sync-pw-1';
const FOLDER = 'Synced';
const CTE_FOLDER = 'Encodings';
const COUNT = 40;
/** Expunged from the live folder before the snapshot: the gaps VANISHED (EARLIER) must report. */
const EXPUNGED = '3,7,20:22';
const FLAG_SETS = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered'], ['$Label1']];
const UUENCODED = Buffer.from(
  'From: a@example.org\r\nSubject: uuencoded\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: x-uuencode\r\n\r\nbegin 644 a\r\n`\r\nend\r\n',
);

let server: SnapshotServer;
let dovecot: RawImap;
let ours: RawImap;
let snapshotFolder: string;
let uidValidity: string;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ACCOUNT,
        password: PASSWORD,
        async seed(live) {
          await appendAll(live, FOLDER, buildCorpus({ count: COUNT, seed: 1162 }), (i) => FLAG_SETS[i % FLAG_SETS.length], (i) =>
            new Date(Date.UTC(2025, (i * 7) % 12, 1 + ((i * 5) % 27), i % 24, 0, 0)),
          );
          await appendAll(live, CTE_FOLDER, [UUENCODED]);
          await live.mailboxOpen(FOLDER);
          await live.messageDelete(EXPUNGED, { uid: true });
        },
      },
    ],
  });
  snapshotFolder = `"Snapshots/${server.day}/${FOLDER}"`;
  dovecot = await RawImap.connect(server.testbed.host, server.testbed.port);
  await dovecot.login(ACCOUNT, PASSWORD);
  ours = await RawImap.connect(server.host, server.port);
  await ours.login(ACCOUNT, PASSWORD);
  for (const client of [dovecot, ours]) {
    expect(lastLine(await client.command('ENABLE CONDSTORE QRESYNC', 'E'))).toMatch(/^E OK/);
  }
  const live = text(await dovecot.command(`EXAMINE ${FOLDER}`, 'X'));
  uidValidity = /UIDVALIDITY (\d+)/.exec(live)![1];
  expect(text(await ours.command(`EXAMINE ${snapshotFolder}`, 'X'))).toContain(`[UIDVALIDITY ${uidValidity}]`);
}, 180000);

afterAll(async () => {
  await dovecot?.close();
  await ours?.close();
  await server?.stop();
});

function text(reply: Buffer): string {
  return reply.toString('latin1');
}

function lastLine(reply: Buffer): string {
  const lines = text(reply).trimEnd().split('\r\n');
  return lines[lines.length - 1];
}

/** Untagged lines, mod-sequence numbers masked; the tagged line reduced to its status and code. */
function shape(reply: Buffer): string[] {
  const lines = text(reply).trimEnd().split('\r\n');
  const tagged = lines.pop()!.replace(/^(\S+ (?:OK|NO|BAD)(?: \[[A-Z-]+)?).*$/, '$1');
  return [
    ...lines
      .filter((line) => !/^\* (FLAGS|OK \[(PERMANENTFLAGS|CLOSED|UNSEEN)|\d+ RECENT)/.test(line))
      .map((line) => line.replace(/MODSEQ \(\d+\)/g, 'MODSEQ (n)').replace(/MODSEQ \d+/g, 'MODSEQ n').replace(/ OK \[UIDVALIDITY (\d+)\].*/, ' OK [UIDVALIDITY $1]').replace(/ OK \[(HIGHESTMODSEQ|UIDNEXT) (\d+|n)\].*/, ' OK [$1 $2]')),
    tagged,
  ];
}

/** Both servers' shapes of one command (ours on the snapshot folder). */
async function both(command: string, tag = 'C'): Promise<{ expected: string[]; actual: string[]; ours: Buffer; dovecot: Buffer }> {
  const live = await dovecot.command(command.replaceAll('@FOLDER@', FOLDER), tag);
  const snapshot = await ours.command(command.replaceAll('@FOLDER@', snapshotFolder), tag);
  return { expected: shape(live), actual: shape(snapshot), ours: snapshot, dovecot: live };
}

async function highestModseq(client: RawImap, folder: string): Promise<string> {
  return /HIGHESTMODSEQ (\d+)/.exec(text(await client.command(`STATUS ${folder} (HIGHESTMODSEQ)`, 'H')))![1];
}

describe('CONDSTORE', () => {
  test('HIGHESTMODSEQ is the same number in EXAMINE, STATUS and every message MODSEQ, and stable across sessions', async () => {
    const examine = text(await ours.command(`EXAMINE ${snapshotFolder}`, 'M1'));
    const highest = /OK \[HIGHESTMODSEQ (\d+)\]/.exec(examine)![1];
    expect(Number(highest)).toBeGreaterThan(1); // the live folder's value at capture time
    expect(await highestModseq(ours, snapshotFolder)).toBe(highest);
    const modseqs = new Set(text(await ours.command('FETCH 1:* (MODSEQ)', 'M2')).match(/MODSEQ \((\d+)\)/g));
    expect([...modseqs]).toEqual([`MODSEQ (${highest})`]);
    const again = await RawImap.connect(server.host, server.port);
    await again.login(ACCOUNT, PASSWORD);
    expect(await highestModseq(again, snapshotFolder)).toBe(highest);
    await again.close();
  });

  test.each([
    'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1)',
    'FETCH 1:* (UID FLAGS) (CHANGEDSINCE 1)',
    'UID FETCH 5:30 (FLAGS MODSEQ) (CHANGEDSINCE 1)',
    'FETCH 2,4,9 (RFC822.SIZE) (CHANGEDSINCE 1)',
    'UID FETCH 1:* (FLAGS) ()',
  ])('%s returns what Dovecot returns', async (command) => {
    const { expected, actual } = await both(command);
    expect(expected.some((line) => / FETCH /.test(line))).toBe(true);
    expect(actual).toEqual(expected);
  });

  test('CHANGEDSINCE the current HIGHESTMODSEQ returns no message on either server', async () => {
    const live = await dovecot.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${await highestModseq(dovecot, FOLDER)})`, 'C');
    const snapshot = await ours.command(`UID FETCH 1:* (FLAGS) (CHANGEDSINCE ${await highestModseq(ours, snapshotFolder)})`, 'C');
    expect(shape(live)).toEqual(['C OK']);
    expect(shape(snapshot)).toEqual(['C OK']);
  });

  test.each([
    'SEARCH MODSEQ 1',
    'UID SEARCH MODSEQ 1 SEEN',
    'SEARCH MODSEQ 9223372036854775807',
    'SEARCH MODSEQ "/flags/\\\\Seen" all 1',
    'SEARCH OR MODSEQ 1 FLAGGED',
    'UID SEARCH RETURN (MIN MAX COUNT) MODSEQ 1',
    'SEARCH RETURN (ALL) MODSEQ 1 UNSEEN',
    'SEARCH RETURN (COUNT) MODSEQ 9223372036854775807',
    'UID SORT (SIZE) UTF-8 MODSEQ 1',
  ])('%s answers as Dovecot does', async (command) => {
    const { expected, actual } = await both(command);
    expect(expected.at(-1)).toBe('C OK');
    expect(actual).toEqual(expected);
  });

  test.each(['SEARCH MODSEQ "/flags/\\\\Seen" foo 1', 'SEARCH MODSEQ x', 'FETCH 1 (FLAGS) (CHANGEDSINCE)', 'FETCH 1 (FLAGS) (FOO)'])(
    '%s is refused as Dovecot refuses it',
    async (command) => {
      const { expected, actual } = await both(command);
      expect(expected).toEqual(['C BAD']);
      expect(actual).toEqual(expected);
    },
  );
});

describe('QRESYNC', () => {
  test.each([
    ['an old modseq and known UIDs', (v: string) => `(QRESYNC (${v} 1 1:200))`],
    ['an old modseq and no known UIDs', (v: string) => `(QRESYNC (${v} 1))`],
    ['an old modseq and some known UIDs', (v: string) => `(QRESYNC (${v} 1 2:8,21,30:35))`],
    ['another UIDVALIDITY', (v: string) => `(QRESYNC (${Number(v) + 1} 1 1:200))`],
    ['CONDSTORE too', (v: string) => `(CONDSTORE QRESYNC (${v} 1 1:40))`],
    ['a known-uids with *', (v: string) => `(QRESYNC (${v} 1 1:*))`],
    ['a missing modseq', (v: string) => `(QRESYNC (${v}))`],
    ['an unknown parameter', () => '(FOO)'],
  ])('EXAMINE with %s: VANISHED (EARLIER) and FETCH as Dovecot sends them', async (_name, parameters) => {
    const { expected, actual } = await both(`EXAMINE @FOLDER@ ${parameters(uidValidity)}`);
    expect(actual).toEqual(expected);
  });

  test('the resync after an old modseq names the expunged UIDs and every message, with UID FLAGS MODSEQ', async () => {
    const { actual } = await both(`EXAMINE @FOLDER@ (QRESYNC (${uidValidity} 1 1:200))`);
    expect(actual).toContain(`* VANISHED (EARLIER) ${EXPUNGED}`);
    expect(actual.filter((line) => /^\* \d+ FETCH \(UID \d+ FLAGS \([^)]*\) MODSEQ \(n\)\)$/.test(line))).toHaveLength(COUNT - 5);
  });

  test('a client that holds the current HIGHESTMODSEQ gets nothing to resync', async () => {
    const live = await dovecot.command(`EXAMINE ${FOLDER} (QRESYNC (${uidValidity} ${await highestModseq(dovecot, FOLDER)} 1:200))`, 'Q');
    const snapshot = await ours.command(`EXAMINE ${snapshotFolder} (QRESYNC (${uidValidity} ${await highestModseq(ours, snapshotFolder)} 1:200))`, 'Q');
    expect(shape(snapshot)).toEqual(shape(live));
    expect(shape(snapshot).some((line) => /VANISHED|FETCH/.test(line))).toBe(false);
  });

  test('sequence-match data that agrees with the folder drops the UIDs the client already knows are gone', async () => {
    // Client: seqs 1:5 are UIDs 1,2,4,5,6 — so it knows UID 3 is gone; Dovecot, which has its
    // expunge log, still lists 3 (a superset the RFC allows); without a log it answers like us.
    const { actual, expected } = await both(`EXAMINE @FOLDER@ (QRESYNC (${uidValidity} 1 1:200 (1:5 1,2,4,5,6)))`);
    expect(actual).toContain('* VANISHED (EARLIER) 7,20:22');
    expect(expected).toContain(`* VANISHED (EARLIER) ${EXPUNGED}`);
    expect(actual.filter((line) => !line.startsWith('* VANISHED'))).toEqual(expected.filter((line) => !line.startsWith('* VANISHED')));
  });

  test.each([
    'UID FETCH 1:200 (FLAGS) (CHANGEDSINCE 1 VANISHED)',
    'UID FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)',
    'UID FETCH 2:4,9,21,500 (UID FLAGS) (VANISHED CHANGEDSINCE 1)',
    'UID FETCH 1:* (FLAGS) (VANISHED)',
    'FETCH 1:* (FLAGS) (CHANGEDSINCE 1 VANISHED)',
  ])('%s answers as Dovecot does', async (command) => {
    await both(`EXAMINE @FOLDER@`, 'S');
    const { expected, actual } = await both(command);
    expect(actual).toEqual(expected);
  });

  test('QRESYNC parameters before ENABLE QRESYNC are refused by both', async () => {
    const freshLive = await RawImap.connect(server.testbed.host, server.testbed.port);
    const freshOurs = await RawImap.connect(server.host, server.port);
    await freshLive.login(ACCOUNT, PASSWORD);
    await freshOurs.login(ACCOUNT, PASSWORD);
    const live = await freshLive.command(`EXAMINE ${FOLDER} (QRESYNC (${uidValidity} 1))`, 'R');
    const snapshot = await freshOurs.command(`EXAMINE ${snapshotFolder} (QRESYNC (${uidValidity} 1))`, 'R');
    expect(shape(live)).toEqual(['R BAD']);
    expect(shape(snapshot)).toEqual(shape(live));
    await freshLive.close();
    await freshOurs.close();
  });
});

describe('ESORT and CONTEXT=SEARCH/SORT', () => {
  test.each([
    'SORT RETURN (MIN MAX COUNT ALL) (SIZE) UTF-8 ALL',
    'UID SORT RETURN (MIN MAX) (REVERSE DATE) UTF-8 ALL',
    'UID SORT RETURN (ALL) (SUBJECT ARRIVAL) UTF-8 SEEN',
    'SORT RETURN () (REVERSE SIZE) UTF-8 ALL',
    'SORT RETURN (COUNT) (SIZE) UTF-8 UNSEEN',
    'UID SORT RETURN (PARTIAL 1:10) (ARRIVAL) UTF-8 ALL',
    'SORT RETURN (PARTIAL 4:2 COUNT) (REVERSE ARRIVAL) UTF-8 ALL',
    'UID SORT RETURN (MIN PARTIAL 30:80) (DATE) UTF-8 ALL',
    'SORT RETURN (PARTIAL 100:200) (SIZE) UTF-8 ALL',
    'SORT RETURN (MIN MAX PARTIAL 1:3 COUNT) (SIZE) UTF-8 KEYWORD NoSuchKeyword',
    'SORT RETURN (CONTEXT COUNT) (SIZE) UTF-8 ALL',
    'UID SORT RETURN (COUNT MAX) (DISPLAYFROM) UTF-8 ALL',
    'UID SORT (DISPLAYFROM) UTF-8 ALL',
    'UID SORT (REVERSE DISPLAYTO SIZE) UTF-8 ALL',
    'SEARCH RETURN (PARTIAL 2:5) ALL',
    'UID SEARCH RETURN (PARTIAL 5:2 MIN COUNT) NOT SEEN',
    'SEARCH RETURN (CONTEXT) FLAGGED',
  ])('%s answers exactly as Dovecot does', async (command) => {
    const live = await dovecot.command(command, 'T');
    const snapshot = await ours.command(command, 'T');
    const answer = (reply: Buffer) => text(reply).split('\r\n').filter((line) => /^\* (SORT|SEARCH|ESEARCH)/.test(line));
    expect(answer(live)).toHaveLength(1);
    expect(shape(live).at(-1)).toBe('T OK');
    expect(answer(snapshot)).toEqual(answer(live));
    expect(shape(snapshot).at(-1)).toBe('T OK');
  });

  test.each([
    'SORT RETURN (PARTIAL 1:2 ALL) (SIZE) UTF-8 ALL',
    'SORT RETURN (PARTIAL 0:2) (SIZE) UTF-8 ALL',
    'SORT RETURN (PARTIAL 1:2 PARTIAL 3:4) (SIZE) UTF-8 ALL',
    'SORT RETURN (FOO) (SIZE) UTF-8 ALL',
    'SEARCH RETURN (PARTIAL) ALL',
  ])('%s is refused as Dovecot refuses it', async (command) => {
    expect(shape(await dovecot.command(command, 'T'))).toEqual(['T BAD']);
    expect(shape(await ours.command(command, 'T'))).toEqual(['T BAD']);
  });

  test('RETURN (UPDATE) is accepted and CANCELUPDATE ends it, as on Dovecot', async () => {
    const steps = ['SEARCH RETURN (UPDATE) ALL', 'SORT RETURN (UPDATE MIN) (SIZE) UTF-8 ALL', 'CANCELUPDATE "U1" "U2"', 'CANCELUPDATE "U1"', 'CANCELUPDATE', 'CANCELUPDATE U1'];
    for (const [index, step] of steps.entries()) {
      const tag = index < 2 ? `U${index + 1}` : `V${index}`;
      const live = await dovecot.command(step, tag);
      const snapshot = await ours.command(step, tag);
      expect([step, shape(snapshot)]).toEqual([step, shape(live)]);
    }
  });
});

describe('AUTH=LOGIN, BINARY and CAPABILITY', () => {
  /** An AUTHENTICATE LOGIN dialogue: every server line, the tagged one reduced to status and code. */
  async function saslLogin(port: number, user: string, password: string, initial: boolean): Promise<string[]> {
    const wire = await Wire.connect(port);
    const encode = (value: string) => Buffer.from(value).toString('base64');
    const from = wire.lines.length;
    let cursor = from;
    wire.write(initial ? `a AUTHENTICATE LOGIN ${encode(user)}\r\n` : 'a AUTHENTICATE LOGIN\r\n');
    for (const reply of initial ? [password] : [user, password]) {
      const seen = await wire.waitFor((l) => l.startsWith('+ ') || l.startsWith('a '), cursor);
      cursor += seen.length;
      if (seen[seen.length - 1].startsWith('a ')) break;
      wire.write(reply === '*' ? '*\r\n' : `${encode(reply)}\r\n`);
    }
    if (!wire.lines.slice(from).some((l) => l.startsWith('a '))) await wire.waitFor((l) => l.startsWith('a '), cursor);
    wire.end();
    return wire.lines.slice(from).map((line) => line.replace(/^(a (?:OK|NO|BAD)(?: \[[A-Z-]+)?).*$/, '$1'));
  }

  test.each([
    ['the right password', PASSWORD, false],
    ['the right password, user as initial response', PASSWORD, true],
    ['a wrong password', 'not-the-password', false],
    ['a cancelled exchange', '*', false],
  ])('AUTHENTICATE LOGIN with %s goes as on Dovecot', async (_name, password, initial) => {
    const live = await saslLogin(server.testbed.port, ACCOUNT, password as string, initial as boolean);
    const snapshot = await saslLogin(server.port, ACCOUNT, password as string, initial as boolean);
    expect(live.length).toBeGreaterThanOrEqual(2);
    expect(snapshot).toEqual(live);
  });

  test('BINARY of a part in an encoding nobody can decode is NO [UNKNOWN-CTE], as on Dovecot', async () => {
    const live = await dovecot.command(`EXAMINE ${CTE_FOLDER}`, 'B0');
    expect(lastLine(live)).toMatch(/OK/);
    await ours.command(`EXAMINE "Snapshots/${server.day}/${CTE_FOLDER}"`, 'B0');
    for (const command of ['FETCH 1 (BINARY[1])', 'FETCH 1 (BINARY.SIZE[1])', 'FETCH 1 (BINARY.PEEK[1]<0.5>)']) {
      const expected = shape(await dovecot.command(command, 'B')).at(-1);
      expect([command, shape(await ours.command(command, 'B')).at(-1)]).toEqual([command, expected]);
      expect(expected).toBe('B NO [UNKNOWN-CTE');
    }
  });

  test('every extension both servers advertise, and the README table covers all of Dovecot\'s', async () => {
    const capabilities = (reply: Buffer) => new Set(/\* CAPABILITY (.*)/.exec(text(reply))![1].trim().split(' '));
    const live = capabilities(await dovecot.command('CAPABILITY', 'K'));
    const snapshot = capabilities(await ours.command('CAPABILITY', 'K'));
    for (const name of ['CONDSTORE', 'QRESYNC', 'ESEARCH', 'ESORT', 'CONTEXT=SEARCH', 'SORT', 'SORT=DISPLAY', 'BINARY', 'ENABLE', 'MOVE', 'STATUS=SIZE']) {
      expect([name, live.has(name), snapshot.has(name)]).toEqual([name, true, true]);
    }
    const preLogin = (greeting: Buffer) => /\[CAPABILITY ([^\]]*)\]/.exec(text(greeting))?.[1].split(' ') ?? [];
    const freshLive = await RawImap.connect(server.testbed.host, server.testbed.port);
    const freshOurs = await RawImap.connect(server.host, server.port);
    for (const mechanism of ['AUTH=PLAIN', 'AUTH=LOGIN']) {
      expect(preLogin(freshLive.greeting)).toContain(mechanism);
      expect(preLogin(freshOurs.greeting)).toContain(mechanism);
    }
    await freshLive.close();
    await freshOurs.close();
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### IMAP extensions'));
    const table = section.slice(0, section.indexOf('\n#', 5) > 0 ? section.indexOf('\n#', 5) : undefined);
    for (const name of new Set([...live, ...snapshot])) expect([name, table.includes(`\`${name}\``)]).toEqual([name, true]);
  });
});
