/**
 * THREAD on deep and wide reference graphs equals Dovecot's answer: a chain thousands deep delivered
 * youngest first, a branching thread that nests a thousand parentheses deep, and messages whose
 * References list thousands of IDs (forwards and backwards, so most links would close a loop).
 */
import { liveClient } from '../../fixtures/mtm.js';
import { addUser, testbedFromEnv } from '../../../src/testbed/dovecot.js';
import { parseSearchProgram, runThread } from '../../../src/proxy/search/index.js';
import { fakeMailbox, RawImap, tokenize, type StoredMessage } from './harness.js';

const ACCOUNT = 'thread-deep';
const CHAIN = 3000;
const COMB = 600;
// Dovecot stops following a References header somewhere between 2,000 and 3,000 IDs (~30–45 KB);
// at 3,000 its answer differs from RFC 5256's (and ours) for the wide messages below.
const WIDE = 2000;

const date = (minute: number) => new Date(Date.UTC(2026, 0, 1) + minute * 60_000).toUTCString().replace('GMT', '+0000');
const message = (minute: number, subject: string, messageId: string, references: string[]) =>
  Buffer.from(
    [`From: a@example.com`, `Date: ${date(minute)}`, `Subject: ${subject}`, `Message-ID: <${messageId}>`]
      .concat(references.length ? [`References: ${references.map((id) => `<${id}>`).join('\r\n ')}`] : [])
      .join('\r\n') + '\r\n\r\nbody\r\n',
  );

function corpus(): Buffer[] {
  const out: Buffer[] = [];
  for (let i = CHAIN; i >= 1; i--) out.push(message(i, i === 1 ? 'chain' : 'Re: chain', `c${i}@deep`, i > 1 ? [`c${i - 1}@deep`] : []));
  for (let i = 0; i < COMB; i++) {
    out.push(message(CHAIN + 2 * i, `comb ${i}`, `s${i}@comb`, i ? [`s${i - 1}@comb`] : []));
    if (i) out.push(message(CHAIN + 2 * i + 1, `leaf ${i}`, `l${i}@comb`, [`s${i - 1}@comb`]));
  }
  const wide = Array.from({ length: WIDE }, (_, j) => `w${j}@wide`);
  out.push(message(10_000, 'wide', 'wide@x', wide));
  out.push(message(10_001, 'wide back', 'wide2@x', [...wide].reverse()));
  // A message inside the wide chain arrives last and must move out of the dummy chain.
  out.push(message(10_002, 'Re: wide', wide[WIDE / 2], [wide[WIDE - 1]]));
  return out;
}

describe('THREAD agrees with Dovecot on deep and wide reference graphs', () => {
  const testbed = testbedFromEnv();
  let dovecot: RawImap;
  let mailbox: ReturnType<typeof fakeMailbox>;

  beforeAll(async () => {
    addUser(testbed, ACCOUNT, 'pw-thread');
    const messages = corpus();
    const client = await liveClient(ACCOUNT, testbed);
    // One MULTIAPPEND (RFC 3502) with LITERAL+: thousands of single APPENDs would dominate the test's time.
    const appender = await RawImap.open(testbed.host, testbed.port);
    expect((await appender.command(`LOGIN "${ACCOUNT}*${testbed.masterUser}" "${testbed.masterPassword}"`)).status).toMatch(/^OK/);
    const pieces: Buffer[] = [Buffer.from('APPEND INBOX')];
    for (const raw of messages) pieces.push(Buffer.from(` {${raw.length}+}\r\n`), raw);
    expect((await appender.command(Buffer.concat(pieces))).status).toMatch(/^OK/);
    appender.close();
    const lock = await client.getMailboxLock('INBOX');
    const stored: StoredMessage[] = [];
    try {
      for await (const fetched of client.fetch('1:*', { uid: true, internalDate: true, size: true, source: true })) {
        stored.push({ uid: fetched.uid, flags: [], internalDate: new Date(fetched.internalDate as Date), size: fetched.size ?? 0, blobHash: String(fetched.uid), raw: fetched.source as Buffer });
      }
    } finally {
      lock.release();
    }
    await client.logout();
    expect(stored.length).toBe(messages.length);
    stored.sort((a, b) => a.uid - b.uid);
    mailbox = fakeMailbox(stored);
    dovecot = await RawImap.open(testbed.host, testbed.port);
    expect((await dovecot.command(`LOGIN "${ACCOUNT}*${testbed.masterUser}" "${testbed.masterPassword}"`)).status).toMatch(/^OK/);
    expect((await dovecot.command('SELECT INBOX')).status).toMatch(/^OK/);
  });

  afterAll(() => dovecot?.close());

  it.each([
    ['REFERENCES', 'ALL', true],
    ['REFERENCES', 'ALL', false],
    ['ORDEREDSUBJECT', 'ALL', true],
    ['REFERENCES', `NOT UID ${CHAIN / 2}`, true],
  ] as const)('THREAD=%s UTF-8 %s (uid %s)', async (algorithm, criteria, uid) => {
    const answer = await dovecot.command(`${uid ? 'UID ' : ''}THREAD ${algorithm} UTF-8 ${criteria}`);
    expect(answer.status).toMatch(/^OK/);
    const program = parseSearchProgram(tokenize(criteria), { uid, esearchAllowed: false });
    const ours = await runThread(algorithm, program, mailbox);
    const theirs = answer.untagged.find((line) => line.startsWith('* THREAD'));
    expect(ours.length).toBe(theirs?.length);
    expect(ours === theirs).toBe(true);
  });
});
