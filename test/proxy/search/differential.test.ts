/**
 * SEARCH, ESEARCH, SORT and THREAD answered by our engine must equal Dovecot's answers for the same
 * messages: the corpus is appended to a Dovecot account, copied back (bytes, flags, INTERNALDATE,
 * UIDs) into an OpenMailbox fake, and every query runs on both.
 */
import { ImapFlow } from 'imapflow';
import { addUser, testbedFromEnv } from '../../../src/testbed/dovecot.js';
import { buildCorpus, generateMessage } from '../../../src/testbed/corpus.js';
import { parseSearchProgram, runSearch, renderSearchResponse, parseSortArguments, runSort, renderSortResponse, runThread } from '../../../src/proxy/search/index.js';
import type { OpenMailbox } from '../../../src/proxy/ports.js';
import { fakeMailbox, RawImap, tokenize, toWire, type StoredMessage } from './harness.js';

const ACCOUNT = 'search-differential';
const CORPUS_SIZE = Number(process.env.SEARCH_CORPUS_SIZE ?? 45);
/** Bulk mail with In-Reply-To/References chains, so THREAD=REFERENCES has real threads. */
const threadedMail = Array.from({ length: 23 }, (_, i) => generateMessage(i, 3, { minBytes: 600, maxBytes: 6000 }));
const crlf = (text: string) => Buffer.from(text.replace(/\r?\n/g, '\r\n'), 'utf8');

/** Messages aimed at SEARCH/SORT/THREAD corners the FETCH corpus does not stress. */
const extraMessages: Buffer[] = [
  crlf(
    'From: "Sender, Quoted" <qp.sender@example.com>\nTo: list@example.org\nSubject: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\n' +
      'Date: Mon, 2 Feb 2026 23:30:00 -0500\nMessage-ID: <topic-1@example.com>\nMIME-Version: 1.0\n' +
      'Content-Type: text/plain; charset=ISO-8859-1\nContent-Transfer-Encoding: quoted-printable\n\n' +
      'Viele Gr=FC=DFe aus K=F6ln, a very long soft=\n-broken line and Caf=E9.\n',
  ),
  Buffer.concat([
    crlf(
      'From: Zed <zed@example.net>\nTo: Anna <anna@example.com>\nSubject: Re: Thread topic\nDate: Tue, 3 Feb 2026 08:00:00 +0100\n' +
        'Message-ID: <topic-2@example.com>\nReferences: <topic-1@example.com>\nIn-Reply-To: <topic-1@example.com>\n' +
        'MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n',
    ),
    crlf(`${Buffer.from('Zürich is lovely; the Ünïcode body is base64.\nCafe\u0301 decomposed here.\n').toString('base64')}\n`),
  ]),
  crlf(
    'From: anna@example.com\nTo: Zed <zed@example.net>\nSubject: RE: [list] Re: thread topic (fwd)\nDate: Wed, 4 Feb 2026 09:00:00 +0000\n' +
      'Message-ID: <topic-3@example.com>\nReferences: <topic-1@example.com> <topic-2@example.com>\n\nThird in the thread.\n',
  ),
  crlf(
    'From: bob@example.org\nTo: anna@example.com\nSubject: Fwd: Thread topic\nDate: Thu, 5 Feb 2026 09:00:00 +0000\n' +
      'Message-ID: <topic-4@example.com>\nIn-Reply-To: <missing-parent@example.com>\n\nForwarded without references.\n',
  ),
  crlf(
    'From: carol@example.net\nTo: anna@example.com\nSubject: Thread topic\nDate: garbage date\n' +
      'Message-ID: <topic-5@example.com>\n\nSame subject, new thread, unreadable date.\n',
  ),
  crlf(
    'From: dave@example.com\nTo: anna@example.com\nSubject: Re: Lost parent\nDate: Fri, 6 Feb 2026 10:00:00 +0000\n' +
      'Message-ID: <child-a@example.com>\nReferences: <never-seen@example.com>\n\nchild a\n',
  ),
  crlf(
    'From: eve@example.com\nTo: anna@example.com\nSubject: Re: Lost parent\nDate: Fri, 6 Feb 2026 11:00:00 +0000\n' +
      'Message-ID: <child-b@example.com>\nReferences: <never-seen@example.com>\n\nchild b\n',
  ),
  crlf(
    'From: Plain Name <plain@example.com>\nTo: "Team Lead" <lead@example.com> (the boss)\nSubject: Named zone\nDate: 1 Mar 2026 22:00:00 EST\n' +
      'Content-Type: text/plain; charset=x-no-such-charset\n\nUnknown charset body with ümlaut.\n',
  ),
  crlf('From: old@example.com\nSubject: Two-digit year\nDate: Sun, 01 Mar 26 23:00:00 -0800\n\nold style\n'),
  crlf(
    'From: html@example.com\nSubject: HTML only\nDate: Mon, 2 Mar 2026 10:00:00 +0000\nMIME-Version: 1.0\n' +
      'Content-Type: text/html; charset=windows-1252\nContent-Transfer-Encoding: quoted-printable\n\n<p>Pr=E9sentation &amp; =93smart quotes=94</p>\n',
  ),
  crlf('From: frank@example.com\nSubject: Duplicate id\nDate: Sat, 7 Feb 2026 10:00:00 +0000\nMessage-ID: <topic-5@example.com>\n\nDuplicate Message-ID.\n'),
];

/** Flags and keywords by position, so every flag search has both matches and misses. */
function flagsFor(index: number): string[] {
  const flags: string[] = [];
  if (index % 2 === 0) flags.push('\\Seen');
  if (index % 3 === 0) flags.push('\\Answered');
  if (index % 5 === 0) flags.push('\\Flagged');
  if (index % 7 === 0) flags.push('\\Deleted');
  if (index % 11 === 3) flags.push('\\Draft');
  if (index % 4 === 1) flags.push('$Work');
  if (index % 6 === 2) flags.push('Project');
  return flags;
}

/** INTERNALDATEs spread over Jan–Mar 2026, some equal (ARRIVAL ties) and some near midnight. */
function internalDateFor(index: number): Date {
  const day = (index * 7) % 60;
  const base = Date.UTC(2026, 0, 1 + day, index % 4 === 0 ? 23 : 9, index % 4 === 0 ? 59 : 15, 30);
  return new Date(index % 9 === 8 ? Date.UTC(2026, 1, 1, 12) : base);
}

const SEARCH_CRITERIA = [
  'ALL', 'SEEN', 'UNSEEN', 'ANSWERED', 'UNANSWERED', 'FLAGGED', 'UNFLAGGED', 'DELETED', 'UNDELETED', 'DRAFT', 'UNDRAFT',
  'RECENT', 'NEW', 'OLD', 'KEYWORD $Work', 'KEYWORD project', 'UNKEYWORD $Work', 'KEYWORD NoSuchKeyword',
  'BEFORE 15-Jan-2026', 'SINCE 1-Feb-2026', 'ON 1-Feb-2026', 'ON 08-Jan-2026', 'NOT BEFORE 1-Mar-2026',
  'SENTBEFORE 1-Mar-2026', 'SENTSINCE 1-Jun-2026', 'SENTON 2-Feb-2026', 'SENTON 3-Feb-2026', 'NOT SENTBEFORE 1-Jan-2030', 'SENTBEFORE 2-Jan-1970',
  'LARGER 2000', 'SMALLER 500', 'LARGER 100 SMALLER 3000',
  'HEADER Subject ""', 'HEADER X-Dup ""', 'HEADER X-Dup "2"', 'HEADER Message-ID "example.com"', 'HEADER X-Latin1 "caf"', 'HEADER Cc "Team"',
  'HEADER From "\\"Quote"', 'HEADER References "topic-1"', 'HEADER Date ""', 'HEADER X-Unfolded-Long "xxxxxxxxxx"',
  'FROM alice', 'FROM "Jürgen"', 'FROM "\\"Quote"', 'FROM example.org', 'FROM "Sender, Quoted"', 'FROM "\\"Sender"',
  'TO "Last, First"', 'TO "\\"Last"', 'TO undisclosed', 'TO "<r1@"', 'TO "Recipient Number 2"', 'TO "\\"Recipient"', 'CC "team@example.com"',
  'BCC Empty', 'FROM MISSING_DOMAIN', 'FROM "Real Name"', 'TO "André"', 'TO "Zoë"', 'CC "Jörg"', 'CC "René"', 'FROM ""',
  'SUBJECT "café"', 'SUBJECT CAFE', 'SUBJECT "Café et crème"', 'SUBJECT "you understand"', 'SUBJECT "broken line continued"',
  'SUBJECT "thread topic"', 'SUBJECT "Grüße"', 'SUBJECT "tab here"', 'SUBJECT "  "',
  'CHARSET UTF-8 BODY "Grüße"', 'BODY "köln"', 'BODY "zürich"', 'BODY "hello world"', 'BODY "forwarded below"', 'BODY Innermost',
  'TEXT Innermost', 'BODY "Original message"', 'TEXT "Original message"', 'BODY PDF', 'BODY GIF89a', 'TEXT "subject:"',
  'TEXT "x-dup: 2"', 'BODY Epilogue', 'BODY "multi-part message"', 'BODY cafe', 'BODY "café"', 'BODY "é"', 'BODY "soft-broken"',
  'BODY "Delivery failed"', 'BODY "Reporting-MTA"', 'TEXT "Content-Type: text/plain"', 'BODY "Content-Type"', 'BODY "hello=20world"',
  'TEXT "日本語"', 'BODY "naïve"', 'BODY "bientôt"', 'BODY "line two"', 'TEXT "inner without body"', 'BODY "end"', 'BODY "word word"',
  'HEADER Reply-To "comment"', 'HEADER Reply-To "Real Name"', 'FROM "<localonly@"', 'FROM "\\"Frank"', 'FROM "Frank Fischer <"',
  'FROM "Plain Name <plain"', 'TO "the boss"', 'TO "\\"Team Lead\\""', 'HEADER X-Latin1 "café"', 'TEXT "Jürgen"', 'TEXT "Müller"',
  'KEYWORD $work', 'SENTON 1-Mar-2026', 'SENTON 2-Mar-2026', 'SENTSINCE 1-Jan-2026 SENTBEFORE 2-Mar-2026', 'BODY "ümlaut"', 'BODY "Présentation"',
  'BODY "“smart"', 'BODY "&amp;"', 'HEADER Content-Type "charset"', 'HEADER "" ""', 'HEADER "" "colon"', 'TEXT "has no colon"', 'BODY "has no colon"', 'HEADER "This line has no colon" ""', 'TEXT "Subject: Named"', 'TEXT "SUBJECT:   NAMED"',
  'NOT FROM alice', 'OR SEEN FLAGGED', 'OR (SEEN FLAGGED) NOT KEYWORD $Work', 'NOT (OR DELETED DRAFT)', '(OR FROM bob FROM carol) SINCE 1-Feb-2026',
  'OR OR SEEN DRAFT NOT (ANSWERED FLAGGED)', '1:5', '2,4,6:*', '*', 'UID 1:3', 'UID 5:*', 'UID *', 'NOT UID 3:4', '1:* UID 2:10 SEEN',
  '100:*', '*:100', '50:*', '53:*', '54:*', '53:60', '60:70', '1,*', 'UID 9999:*', 'UID 50:*', 'UID *:40', 'CHARSET US-ASCII BODY report', 'BODY ""', 'TEXT ""', 'SUBJECT ""',
];

const SORT_CRITERIA = [
  '(ARRIVAL)', '(REVERSE ARRIVAL)', '(DATE)', '(REVERSE DATE)', '(SIZE)', '(SUBJECT)', '(FROM)', '(TO)', '(CC)',
  '(REVERSE SUBJECT DATE)', '(DISPLAYFROM)', '(DISPLAYTO)', '(TO REVERSE SIZE)', '(REVERSE DISPLAYFROM REVERSE ARRIVAL)', '(CC SUBJECT)',
];

describe('SEARCH, SORT and THREAD agree with Dovecot', () => {
  const testbed = testbedFromEnv();
  let dovecot: RawImap;
  let mailbox: OpenMailbox;

  beforeAll(async () => {
    addUser(testbed, ACCOUNT, 'pw-search');
    const messages = [...buildCorpus({ count: CORPUS_SIZE, seed: 5256 }), ...extraMessages, ...threadedMail];
    const client = new ImapFlow({
      host: testbed.host,
      port: testbed.port,
      secure: false,
      logger: false,
      auth: { user: testbed.masterUser, pass: testbed.masterPassword, loginMethod: 'AUTH=PLAIN', authzid: ACCOUNT },
    } as ConstructorParameters<typeof ImapFlow>[0]);
    await client.connect();
    for (let i = 0; i < messages.length; i++) {
      await client.append('INBOX', messages[i], flagsFor(i), internalDateFor(i));
    }
    // SELECT takes the \Recent flags, so the comparison session sees none — like a snapshot.
    const lock = await client.getMailboxLock('INBOX');
    const stored: StoredMessage[] = [];
    try {
      for await (const message of client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true, source: true })) {
        stored.push({
          uid: message.uid,
          flags: [...(message.flags ?? [])].filter((flag) => flag !== '\\Recent'),
          internalDate: new Date(message.internalDate as Date),
          size: message.size ?? 0,
          blobHash: String(message.uid),
          raw: message.source as Buffer,
        });
      }
    } finally {
      lock.release();
    }
    await client.logout();
    stored.sort((a, b) => a.uid - b.uid);
    mailbox = fakeMailbox(stored);
    dovecot = await RawImap.open(testbed.host, testbed.port);
    const login = await dovecot.command(`LOGIN "${ACCOUNT}*${testbed.masterUser}" "${testbed.masterPassword}"`);
    expect(login.status).toMatch(/^OK/);
    expect((await dovecot.command('SELECT INBOX')).status).toMatch(/^OK/);
  });

  afterAll(() => dovecot?.close());

  it('copied every message with its bytes, so the comparison is meaningful', () => {
    expect(mailbox.messages.length).toBe(CORPUS_SIZE + extraMessages.length + threadedMail.length);
  });

  it.each(SEARCH_CRITERIA)('UID SEARCH %s', async (criteria) => {
    const answer = await dovecot.command(Buffer.concat([Buffer.from('UID SEARCH '), toWire(criteria)]));
    expect(answer.status).toMatch(/^OK/);
    const program = parseSearchProgram(tokenize(criteria), { uid: true, esearchAllowed: true });
    const ours = renderSearchResponse(program, await runSearch(program, mailbox), mailbox, { uid: true, tag: answer.tag });
    expect(ours).toBe(answer.untagged.find((line) => line.startsWith('* SEARCH')));
  });

  it.each(['SEARCH SEEN', 'SEARCH 3:8 NOT DELETED', 'SEARCH UID 4:*'])('%s (sequence numbers)', async (command) => {
    const answer = await dovecot.command(command);
    const program = parseSearchProgram(tokenize(command.slice(7)), { uid: false, esearchAllowed: true });
    const ours = renderSearchResponse(program, await runSearch(program, mailbox), mailbox, { uid: false, tag: answer.tag });
    expect(ours).toBe(answer.untagged.find((line) => line.startsWith('* SEARCH')));
  });

  it.each([
    'UID SEARCH RETURN (MIN MAX COUNT ALL) SEEN',
    'UID SEARCH RETURN () FLAGGED',
    'UID SEARCH RETURN (COUNT) KEYWORD NoSuchKeyword',
    'UID SEARCH RETURN (MIN MAX) KEYWORD NoSuchKeyword',
    'UID SEARCH RETURN (ALL COUNT) NOT SEEN',
    'SEARCH RETURN (MAX MIN) UNDELETED',
    'SEARCH RETURN (ALL) 3:7',
  ])('%s (ESEARCH)', async (command) => {
    const uid = command.startsWith('UID ');
    const answer = await dovecot.command(command);
    expect(answer.status).toMatch(/^OK/);
    const program = parseSearchProgram(tokenize(command.slice(uid ? 11 : 7)), { uid, esearchAllowed: true });
    const ours = renderSearchResponse(program, await runSearch(program, mailbox), mailbox, { uid, tag: answer.tag });
    expect(ours).toBe(answer.untagged.find((line) => line.startsWith('* ESEARCH')));
  });

  it.each(SORT_CRITERIA)('UID SORT %s UTF-8 ALL', async (criteria) => {
    const command = `${criteria} UTF-8 ALL`;
    const answer = await dovecot.command(`UID SORT ${command}`);
    expect(answer.status).toMatch(/^OK/);
    const { criteria: parsed, program } = parseSortArguments(tokenize(command), { uid: true });
    const ours = renderSortResponse(await runSort(parsed, program.charset, program, mailbox), mailbox, { uid: true });
    expect(ours).toBe(answer.untagged.find((line) => line.startsWith('* SORT')));
  });

  it('SORT (SUBJECT) with a search program and sequence numbers', async () => {
    const answer = await dovecot.command('SORT (SUBJECT) UTF-8 SINCE 1-Feb-2026 NOT DELETED');
    const { criteria, program } = parseSortArguments(tokenize('(SUBJECT) UTF-8 SINCE 1-Feb-2026 NOT DELETED'), { uid: false });
    expect(renderSortResponse(await runSort(criteria, 'UTF-8', program, mailbox), mailbox, { uid: false })).toBe(
      answer.untagged.find((line) => line.startsWith('* SORT')),
    );
  });

  it.each([
    ['REFERENCES', 'ALL', true],
    ['ORDEREDSUBJECT', 'ALL', true],
    ['REFERENCES', 'SINCE 1-Feb-2026', false],
    ['ORDEREDSUBJECT', 'NOT SEEN', false],
    ['REFERENCES', 'FROM example.com', true],
    ['REFERENCES', 'NOT SUBJECT thread', true],
  ] as const)('THREAD=%s UTF-8 %s (uid %s)', async (algorithm, criteria, uid) => {
    const answer = await dovecot.command(`${uid ? 'UID ' : ''}THREAD ${algorithm} UTF-8 ${criteria}`);
    expect(answer.status).toMatch(/^OK/);
    const program = parseSearchProgram(tokenize(criteria), { uid, esearchAllowed: false });
    expect(await runThread(algorithm, program, mailbox)).toBe(answer.untagged.find((line) => line.startsWith('* THREAD')));
  });
});
