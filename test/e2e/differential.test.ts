/**
 * Issue 3 acceptance, "Differential against Dovecot": the same FETCH and UID SEARCH commands sent
 * over a real socket to the live Dovecot (EXAMINE of the live folder) and to our server (EXAMINE of
 * its snapshot) get byte-identical untagged answers, for every message of an awkward corpus.
 * Sequence numbers and UIDs agree because the snapshot mirrors the folder exactly.
 */
import { buildCorpus, appendAll } from '../../src/testbed/corpus.js';
import { RawImap, untagged } from '../fixtures/raw-imap.js';
import { SEARCH_TEXT_VERSION } from '../../src/proxy/search/message-content.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'e2e-diff';
const FOLDER = 'Corpus';
const COUNT = 110;
const FLAG_SETS = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '\\Seen'], ['$Label1'], ['\\Draft'], ['\\Deleted', '\\Seen'], ['Work', '\\Flagged'], ['$Label1', 'Work', '\\Answered']];

const FETCH_ITEMS = [
  'FLAGS',
  'ENVELOPE',
  'BODYSTRUCTURE',
  'BODY',
  'RFC822.SIZE',
  'INTERNALDATE',
  'BODY.PEEK[HEADER]',
  'BODY.PEEK[TEXT]',
  'BODY.PEEK[1]',
  'BODY.PEEK[1.MIME]',
  'BODY.PEEK[2.1]',
  'BODY.PEEK[HEADER.FIELDS (From Subject)]',
  'BODY.PEEK[HEADER.FIELDS.NOT (Subject)]',
  'BODY.PEEK[]<0.100>',
  'BODY.PEEK[TEXT]<5.20>',
  // Beyond the list: more nesting, message/rfc822 parts, RFC822.* and odd partials.
  'BODY.PEEK[2]',
  'BODY.PEEK[2.MIME]',
  'BODY.PEEK[2.HEADER]',
  'BODY.PEEK[2.TEXT]',
  'BODY.PEEK[1.1]',
  'BODY.PEEK[2.2.1]',
  'BODY.PEEK[3]',
  'BODY.PEEK[HEADER.FIELDS (Content-Type X-DUP Date)]',
  'BODY.PEEK[1.HEADER.FIELDS.NOT (Content-Type)]',
  'RFC822.HEADER',
  'RFC822.TEXT',
  'BODY.PEEK[]<100.50>',
  'BODY.PEEK[]<100000.10>',
  'BODY.PEEK[TEXT]<0.1>',
];

/** Criteria answered by both servers; \Recent is cleared on the live folder before the snapshot. */
const SEARCH_CRITERIA = [
  'ALL',
  'SEEN',
  'UNSEEN',
  'FLAGGED',
  'UNFLAGGED',
  'ANSWERED',
  'UNANSWERED',
  'DELETED',
  'UNDELETED',
  'DRAFT',
  'UNDRAFT',
  'RECENT',
  'NEW',
  'OLD',
  'KEYWORD $Label1',
  'UNKEYWORD $Label1',
  'KEYWORD Work',
  'KEYWORD NoSuchKeyword',
  'BEFORE 1-Jun-2025',
  'ON 3-Mar-2025',
  'SINCE 15-Aug-2025',
  'SENTBEFORE 1-May-2026',
  'SENTON 2-Mar-2026',
  'SENTSINCE 1-Sep-2026',
  'LARGER 2000',
  'SMALLER 600',
  'LARGER 100000',
  'FROM alice',
  'FROM "example.org"',
  'TO bob',
  'CC team',
  'BCC group',
  'SUBJECT "subject"',
  'SUBJECT caf\u00e9',
  'FROM J\u00fcrgen',
  'TO Zo\u00eb',
  'SUBJECT \u00dcn\u00efc\u00f6d\u00e9',
  'BODY K\u00f6ln',
  'TEXT \u65e5\u672c\u8a9e',
  'BODY caf\u00e9',
  'SUBJECT "Re:"',
  'LARGER 0',
  'ANSWERED SINCE 1-Jan-2025 NOT SEEN',
  'HEADER Message-ID example.com',
  'HEADER X-Dup 2',
  'HEADER References ""',
  'HEADER Content-Type multipart',
  'BODY invoice',
  'BODY "Innermost text"',
  'TEXT snapshot',
  'TEXT "Reply-To"',
  'NOT SEEN',
  'NOT NOT FLAGGED',
  'OR SEEN FLAGGED',
  'OR (SEEN LARGER 1000) (NOT KEYWORD $Label1)',
  'NOT (OR FROM alice TO bob)',
  'OR OR DRAFT DELETED (ANSWERED KEYWORD Work)',
  '(SEEN FLAGGED)',
  'UID 1:10',
  'UID 5,7,20:*',
  'UID *',
  'NOT UID 1:50',
  '1:5',
  '2:* NOT 3',
  '100:* SEEN',
  'UID 3:1 OR UID 90:95 SUBJECT groups',
  // BODY/TEXT through the search index (on by default): short needles it cannot answer, pieces
  // of words, needles across the header/body line breaks, combinations.
  'BODY in',
  'TEXT "nvo"',
  'TEXT "no such text anywhere"',
  'TEXT "example.com"',
  'BODY invoice TEXT snapshot',
  'OR BODY invoice NOT TEXT snapshot',
  'NOT BODY "Innermost"',
];

let server: SnapshotServer;
let dovecot: RawImap;
let ours: RawImap;
let liveExamine: string;
let snapshotExamine: string;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [
      {
        user: ACCOUNT,
        password: 'diff-pw-1',
        async seed(live) {
          await appendAll(live, FOLDER, buildCorpus({ count: COUNT, seed: 303 }), (i) => FLAG_SETS[i % FLAG_SETS.length], (i) =>
            new Date(Date.UTC(2025, i % 12, 1 + (i % 27), 3 + (i % 18), i % 60, 7)),
          );
          // A read-write SELECT claims \Recent, so later sessions on either server see none.
          // (No CLOSE afterwards: it would expunge the \Deleted messages.)
          await live.mailboxOpen(FOLDER);
        },
      },
    ],
  });
  dovecot = await RawImap.connect(server.testbed.host, server.testbed.port);
  await dovecot.loginAs(ACCOUNT, server.testbed.masterUser, server.testbed.masterPassword);
  ours = await RawImap.connect(server.host, server.port);
  await ours.login(ACCOUNT, server.password);
  liveExamine = (await dovecot.command(`EXAMINE ${FOLDER}`)).toString('latin1');
  snapshotExamine = (await ours.command(`EXAMINE "Snapshots/${server.day}/${FOLDER}"`)).toString('latin1');
}, 180000);

afterAll(async () => {
  await dovecot?.close();
  await ours?.close();
  await server?.stop();
});


test('EXAMINE describes the folder (FLAGS, EXISTS, RECENT, UNSEEN, UIDVALIDITY, UIDNEXT) as Dovecot does', async () => {
  const [live, snap] = [liveExamine, snapshotExamine];
  expect(snap).toMatch(/ OK \[READ-ONLY\]/);
  expect(snap).toContain(`* ${COUNT} EXISTS`);
  expect(live).toContain(`* ${COUNT} EXISTS`);
  // The lines that describe the folder's content are Dovecot's own (PERMANENTFLAGS differs by design).
  const facts = (text: string) => text.split('\r\n').filter((line) => /^\* (FLAGS |\d+ EXISTS|\d+ RECENT|OK \[(UNSEEN|UIDVALIDITY|UIDNEXT) )/.test(line)).map((line) => line.replace(/\] .*/, ']'));
  expect(facts(snap)).toEqual(facts(live));
  expect(facts(live)).toHaveLength(6);
});

test('STATUS of the snapshot folder reports what Dovecot reports for the live one', async () => {
  const items = '(MESSAGES UIDNEXT UIDVALIDITY UNSEEN RECENT)';
  // Item order is free (RFC 3501 §7.2.4): Dovecot uses its own, we follow the request; compare pairs.
  const values = (reply: Buffer) => {
    const list = /^\* STATUS .* \((.*)\)\r$/m.exec(reply.toString('latin1'))?.[1] ?? '';
    return (list.match(/\S+ \S+/g) ?? []).sort().join(' ');
  };
  const expected = values(await dovecot.command(`STATUS ${FOLDER} ${items}`));
  expect(expected).toMatch(/MESSAGES 110/);
  expect(values(await ours.command(`STATUS "Snapshots/${server.day}/${FOLDER}" ${items}`))).toBe(expected);
});

test(`FETCH of ${FETCH_ITEMS.length} items on each of ${COUNT} messages is byte-identical to Dovecot`, async () => {
  const mismatches: string[] = [];
  const perItem = new Map<string, number>();
  let compared = 0;
  for (let seq = 1; seq <= COUNT; seq++) {
    for (const item of FETCH_ITEMS) {
      const command = `FETCH ${seq} (${item})`;
      const expected = untagged(await dovecot.command(command, 'F'));
      const actual = untagged(await ours.command(command, 'F'));
      compared += 1;
      expect(expected.toString('latin1')).toMatch(new RegExp(`^\\* ${seq} FETCH \\(`));
      if (!expected.equals(actual)) {
        perItem.set(item, (perItem.get(item) ?? 0) + 1);
        if ((perItem.get(item) ?? 0) <= 3) mismatches.push(`${command}\n  dovecot: ${JSON.stringify(expected.toString('latin1')).slice(0, 600)}\n  ours:    ${JSON.stringify(actual.toString('latin1')).slice(0, 600)}`);
      }
    }
  }
  expect(compared).toBe(COUNT * FETCH_ITEMS.length);
  expect(mismatches.join('\n')).toBe('');
  expect([...perItem]).toEqual([]);
});

test('a multi-item UID FETCH over the whole folder is byte-identical too', async () => {
  const command = 'UID FETCH 1:* (UID FLAGS RFC822.SIZE INTERNALDATE BODYSTRUCTURE BODY.PEEK[HEADER.FIELDS (Date To)] BODY[]<10.40>)';
  const expected = untagged(await dovecot.command(command, 'U'));
  const actual = untagged(await ours.command(command, 'U'));
  expect(expected.toString('latin1').match(/\* \d+ FETCH/g)).toHaveLength(COUNT);
  expect(actual.toString('latin1')).toBe(expected.toString('latin1'));
});

test(`UID SEARCH answers equal Dovecot's for ${SEARCH_CRITERIA.length} criteria`, async () => {
  expect(SEARCH_CRITERIA.length).toBeGreaterThanOrEqual(40);
  const mismatches: string[] = [];
  const distinct = new Set<string>();
  for (const criteria of SEARCH_CRITERIA) {
    // Non-ASCII criteria go as a LITERAL+ literal under CHARSET UTF-8.
    const line = /^[\x20-\x7e]*$/.test(criteria)
      ? Buffer.from(`UID SEARCH ${criteria}`)
      : (() => {
          const [key, value] = criteria.split(' ');
          const bytes = Buffer.from(value, 'utf8');
          return Buffer.concat([Buffer.from(`UID SEARCH CHARSET UTF-8 ${key} {${bytes.length}+}\r\n`), bytes]);
        })();
    // Only the SEARCH line: Dovecot adds a FLAGS update when a search names an unknown keyword.
    const searchLine = (reply: Buffer) => untagged(reply).toString('latin1').split(/(?<=\r\n)/).filter((l) => l.startsWith('* SEARCH')).join('');
    const expected = searchLine(await dovecot.command(line, 'S'));
    const actual = searchLine(await ours.command(line, 'S'));
    expect(expected).toMatch(/^\* SEARCH/);
    // The decoded-text criteria each match something, so an empty answer from us would show.
    if (!/^[\x20-\x7e]*$/.test(criteria)) expect([criteria, expected]).toEqual([criteria, expect.stringMatching(/^\* SEARCH \d/)]);
    distinct.add(expected);
    if (expected !== actual) mismatches.push(`UID SEARCH ${criteria}\n  dovecot: ${expected.trim()}\n  ours:    ${actual.trim()}`);
  }
  // The battery discriminates: most criteria select different sets of messages.
  expect(distinct.size).toBeGreaterThan(SEARCH_CRITERIA.length / 2);
  expect(mismatches.join('\n')).toBe('');
});

test('the BODY/TEXT searches above went through the search index, which rules messages out', async () => {
  const { catalog } = server.store;
  expect(catalog.searchIndex).toBe(true);
  const seq = (await catalog.captureForDay(ACCOUNT, server.day))!;
  const record = (await catalog.folders(ACCOUNT, seq)).find((folder) => folder.name === FOLDER)!;
  const hashes = (await catalog.messages(ACCOUNT, seq, FOLDER, record.uidValidity)).map((message) => message.blobHash);
  const candidates = await catalog.textCandidates(ACCOUNT, hashes, 'INVOICE', SEARCH_TEXT_VERSION);
  expect(candidates).not.toBeNull();
  expect(candidates!.size).toBeGreaterThan(0);
  expect(candidates!.size).toBeLessThan(new Set(hashes).size);
});

/** Webmail clients lean on server-side SORT and THREAD (RFC 5256) and on ESEARCH (RFC 4731). */
const ORDERING_COMMANDS = [
  'UID SORT (DATE) UTF-8 ALL',
  'UID SORT (REVERSE ARRIVAL) UTF-8 ALL',
  'UID SORT (SUBJECT DATE) UTF-8 ALL',
  'UID SORT (FROM REVERSE SIZE) UTF-8 SEEN',
  'UID SORT (TO CC) UTF-8 ALL',
  'UID SORT (SIZE) US-ASCII OR FLAGGED LARGER 1000',
  'SORT (REVERSE DATE SUBJECT) UTF-8 UNDELETED',
  'UID THREAD REFERENCES UTF-8 ALL',
  'UID THREAD ORDEREDSUBJECT UTF-8 ALL',
  'THREAD REFERENCES UTF-8 SEEN',
  'UID SEARCH RETURN (MIN MAX COUNT) SEEN',
  'UID SEARCH RETURN (ALL) UNSEEN',
  'UID SEARCH RETURN () FLAGGED',
  'SEARCH RETURN (COUNT MIN) LARGER 1000',
  'UID SEARCH RETURN (MIN) KEYWORD NoSuchKeyword',
];

test(`SORT, THREAD and ESEARCH answers equal Dovecot's for ${ORDERING_COMMANDS.length} commands`, async () => {
  const mismatches: string[] = [];
  for (const command of ORDERING_COMMANDS) {
    const answer = (reply: Buffer) =>
      untagged(reply).toString('latin1').split(/(?<=\r\n)/).filter((line) => /^\* (SORT|THREAD|ESEARCH)/.test(line)).join('');
    const expected = answer(await dovecot.command(command, 'T'));
    const actual = answer(await ours.command(command, 'T'));
    expect([command, expected]).toEqual([command, expect.stringMatching(/^\* (SORT|THREAD|ESEARCH)/)]);
    if (expected !== actual) mismatches.push(`${command}\n  dovecot: ${expected.trim().slice(0, 500)}\n  ours:    ${actual.trim().slice(0, 500)}`);
  }
  expect(mismatches.join('\n')).toBe('');
});
