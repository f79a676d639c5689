/**
 * Issue 3 acceptance, "Writes": every write command against a snapshot gets `NO [CANNOT]` (never
 * [READ-ONLY] or [TRYCREATE]), literals of refused APPENDs are consumed without desynchronising the
 * stream, the connection stays usable after each, and the store is byte-for-byte unchanged.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';
import { Wire } from './wire.js';

const ACCOUNT = 'e2e-readonly';
let server: SnapshotServer;
let wire: Wire;
let mailbox: string;
let storeBefore: Map<string, string>;
let catalogBefore: string;

/**
 * sha256 of every file under the store. SQLite's `-shm` file is left out: it is the WAL index in
 * shared memory, where every *reader* records its read mark, so plain reads change it.
 */
function hashStore(root: string): Map<string, string> {
  const hashes = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('-shm')) hashes.set(relative(root, path), createHash('sha256').update(readFileSync(path)).digest('hex'));
    }
  };
  walk(root);
  return hashes;
}

/** The catalog's logical content: every day, folder and message entry of the account. */
async function catalogContent(): Promise<string> {
  const { catalog } = server.store;
  const out: unknown[] = [];
  for (const day of await catalog.days(ACCOUNT)) {
    for (const folder of await catalog.folders(ACCOUNT, day.seq)) {
      out.push({ day, folder, messages: await catalog.messages(ACCOUNT, day.seq, folder.name, folder.uidValidity) });
    }
  }
  return JSON.stringify(out);
}

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ACCOUNT,
        password: 'readonly-pw-1',
        async seed(live) {
          await appendAll(live, 'INBOX', buildCorpus({ count: 8, seed: 505 }), (i) => (i < 4 ? ['\\Seen'] : []));
          await live.mailboxCreate('Other');
        },
      },
    ],
  });
  mailbox = `"Snapshots/${server.day}/INBOX"`;
  storeBefore = hashStore(server.storePath);
  catalogBefore = await catalogContent();
  expect([...storeBefore.keys()].filter((path) => path.startsWith('blobs')).length).toBeGreaterThan(0);
  wire = await Wire.connect(server.port);
  expect((await wire.command('L', `LOGIN ${ACCOUNT} readonly-pw-1`)).at(-1)).toMatch(/^L OK/);
  expect((await wire.command('S', `SELECT ${mailbox}`)).at(-1)).toMatch(/^S OK \[READ-ONLY\]/);
}, 120000);

afterAll(async () => {
  wire?.end();
  await server?.stop();
});

async function expectStillUsable(tag: string): Promise<void> {
  expect((await wire.command(`${tag}n`, 'NOOP')).at(-1)).toMatch(new RegExp(`^${tag}n OK`));
}

function expectCannot(tagged: string | undefined, tag: string): void {
  expect(tagged).toMatch(new RegExp(`^${tag} NO \\[CANNOT\\] \\S`));
  expect(tagged).not.toMatch(/READ-ONLY|TRYCREATE/);
}

const WRITES: [string, string][] = [
  ['st', 'STORE 1 +FLAGS (\\Deleted)'],
  ['st2', 'STORE 1:* FLAGS.SILENT (\\Seen $Junk)'],
  ['ust', 'UID STORE 2 -FLAGS (\\Seen)'],
  ['cp', 'COPY 1:2 INBOX'],
  ['cp2', 'COPY 1 "Snapshots/DAY/Other"'],
  ['ucp', 'UID COPY 1 "Snapshots/DAY/Other"'],
  ['mv', 'MOVE 1 "Snapshots/DAY/Other"'],
  ['umv', 'UID MOVE 1:* INBOX'],
  ['ex', 'EXPUNGE'],
  ['uex', 'UID EXPUNGE 1:*'],
  ['cr', 'CREATE "Snapshots/DAY/New"'],
  ['cr2', 'CREATE Fresh'],
  ['de', 'DELETE "Snapshots/DAY/Other"'],
  ['de2', 'DELETE "Snapshots/DAY"'],
  ['rn', 'RENAME "Snapshots/DAY/Other" "Snapshots/DAY/Renamed"'],
  ['sb', 'SUBSCRIBE "Snapshots/DAY/Other"'],
  ['us', 'UNSUBSCRIBE "Snapshots/DAY/INBOX"'],
  ['sa', 'SETACL "Snapshots/DAY/INBOX" anyone lrswipkxtea'],
];

test.each(WRITES)('%s: %s gets NO [CANNOT] and the connection stays usable', async (tag, text) => {
  expectCannot((await wire.command(tag, text.replaceAll('DAY', server.day))).at(-1), tag);
  await expectStillUsable(tag);
});

test('APPEND with a synchronising literal is refused and its bytes never run as commands', async () => {
  const message = 'Subject: x\r\n\r\nz1 LOGOUT\r\n';
  const from = wire.lines.length;
  wire.write(`ap APPEND ${mailbox} (\\Seen) {${message.length}}\r\n`);
  const first = await wire.waitFor((line) => line.startsWith('+') || line.startsWith('ap '), from);
  if (first.at(-1)!.startsWith('+')) {
    // The server chose to take the literal: send it; the answer must still be NO [CANNOT].
    wire.write(`${message}\r\n`);
    expectCannot((await wire.waitFor((line) => line.startsWith('ap '), from)).at(-1), 'ap');
  } else {
    expectCannot(first.at(-1), 'ap');
  }
  await expectStillUsable('ap');
  expect(wire.lines.some((line) => line.startsWith('z1 ') || line.startsWith('* BYE'))).toBe(false);
});

test('APPEND with a LITERAL+ literal is consumed and refused; the next command runs', async () => {
  const message = 'Subject: y\r\n\r\nz2 LOGOUT\r\nz3 NOOP\r\n';
  const from = wire.lines.length;
  wire.write(`ap2 APPEND ${mailbox} (\\Flagged) "01-Jan-2026 10:00:00 +0000" {${message.length}+}\r\n${message}\r\nap3 NOOP\r\n`);
  const lines = await wire.waitFor((line) => line.startsWith('ap3 '), from);
  expectCannot(lines.find((line) => line.startsWith('ap2 ')), 'ap2');
  expect(lines.at(-1)).toMatch(/^ap3 OK/);
  expect(lines.some((line) => /^z[23] /.test(line))).toBe(false);
});

test('BODY[] without .PEEK returns the body and sets no flag; CLOSE expunges nothing', async () => {
  const fetched = await wire.command('fb', 'FETCH 5 (BODY[] FLAGS)');
  expect(fetched.join('\n')).toMatch(/^\* 5 FETCH \(/m);
  expect(fetched.join('\n')).not.toContain('\\Seen');
  expect((await wire.command('ff', 'FETCH 5 FLAGS')).join('\n')).toMatch(/^\* 5 FETCH \(FLAGS \(\)\)$/m);
  expect((await wire.command('cl', 'CLOSE')).at(-1)).toMatch(/^cl OK/);
  expect((await wire.command('re', `EXAMINE ${mailbox}`)).join('\n')).toMatch(/^\* 8 EXISTS$/m);
  expect((await wire.command('ff2', 'FETCH 1:8 FLAGS')).filter((line) => line.includes('\\Seen'))).toHaveLength(4);
});

test('after the whole session the store is byte-for-byte unchanged', async () => {
  expect((await wire.command('lo', 'LOGOUT')).at(-1)).toMatch(/^lo OK/);
  const after = hashStore(server.storePath);
  expect(Object.fromEntries(after)).toEqual(Object.fromEntries(storeBefore));
  expect(await catalogContent()).toBe(catalogBefore);
});
