/**
 * The all-days view's INBOX (DESIGN §5 "First contact without errors"): one generated guide
 * message whose bytes, UIDVALIDITY and UID stay the same across sessions and restarts, so caching
 * clients never see a changed body under a cached UID; and the empty `Trash` every view lists so
 * that Thunderbird does not try to create one.
 */
import fc from 'fast-check';
import { ImapFlow } from 'imapflow';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import { buildGuideMessage, guideText, openGuideInbox, type GuideOptions } from '../../../src/snapshots/view/guide-inbox.js';
import { appendAll, buildCorpus } from '../../../src/testbed/corpus.js';
import { startSnapshotServer, type SnapshotServer } from '../../fixtures/snapshot-server.js';

const ACCOUNT = 'guide-inbox';
const PASSWORD = 'guide-pw-1';
const base: GuideOptions = { account: ACCOUNT, daySeparator: '#', restoreMailbox: true, snapshotsRoot: 'Snapshots' };

describe('the guide message', () => {
  test('is byte-identical every time it is built, for any account and separator', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 40 }), fc.constantFrom('', '#', '+', '%'), fc.boolean(), async (account, daySeparator, restoreMailbox) => {
        const options = { ...base, account, daySeparator, restoreMailbox };
        const first = await buildGuideMessage(options);
        const second = await buildGuideMessage(options);
        expect(first.equals(second)).toBe(true);
        // Whatever the login name holds, the message stays 7-bit with CRLF lines and one header block.
        expect(/[^\x09\x0d\x0a\x20-\x7e]/.test(first.toString('latin1'))).toBe(false);
        expect(/(^|[^\r])\n/.test(first.toString('latin1'))).toBe(false);
        const structure = await analyzeMessage(first);
        expect(structure.root.type?.toLowerCase()).toBe('text');
        expect(structure.size).toBe(first.length);
      }),
      { numRuns: 50 },
    );
  });

  test('names no day: the days come and go, the text under UID 1 must not', () => {
    const text = guideText(base);
    expect(text).toContain('Snapshots/<day>/<folder>');
    expect(text).toContain(`${ACCOUNT}#YYYY-MM-DD`);
    expect(text).toContain('"Restore"');
    expect(guideText({ ...base, daySeparator: '' })).not.toContain('YYYY-MM-DD    ');
  });

  test('another text gets another UIDVALIDITY, the same text the same one', async () => {
    const a = await openGuideInbox('INBOX', base);
    const again = await openGuideInbox('inbox', { ...base });
    const otherSeparator = await openGuideInbox('INBOX', { ...base, daySeparator: '+' });
    const otherAccount = await openGuideInbox('INBOX', { ...base, account: 'someone-else' });
    expect(again.uidValidity).toBe(a.uidValidity);
    expect(otherSeparator.uidValidity).not.toBe(a.uidValidity);
    expect(otherAccount.uidValidity).not.toBe(a.uidValidity);
    expect(a.messages.map((message) => message.uid)).toEqual([1]);
    expect(a.uidNext).toBe(2);
  });
});

describe('over IMAP', () => {
  let server: SnapshotServer;

  beforeAll(async () => {
    server = await startSnapshotServer({
      accounts: [{ user: ACCOUNT, password: PASSWORD, seed: (live) => appendAll(live, 'INBOX', buildCorpus({ count: 3, seed: 77 })) }],
    });
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
  });

  async function session<T>(user: string, work: (client: ImapFlow) => Promise<T>): Promise<T> {
    const client = new ImapFlow({ host: server.host, port: server.port, secure: false, logger: false, auth: { user, pass: PASSWORD } });
    await client.connect();
    try {
      return await work(client);
    } finally {
      await client.logout();
    }
  }

  async function readInbox(client: ImapFlow): Promise<{ uidValidity: bigint; exists: number; uids: number[]; source: Buffer; readOnly: boolean }> {
    const mailbox = await client.mailboxOpen('INBOX');
    const messages = [];
    for await (const message of client.fetch('1:*', { uid: true, source: true })) messages.push(message);
    return { uidValidity: mailbox.uidValidity, exists: mailbox.exists, uids: messages.map((m) => m.uid), source: messages[0].source!, readOnly: mailbox.readOnly === true };
  }

  test('the all-days INBOX holds the guide, read-only, with the same UIDVALIDITY in every session', async () => {
    const first = await session(ACCOUNT, readInbox);
    const second = await session(ACCOUNT, readInbox);
    const expected = await buildGuideMessage({ ...base, daySeparator: server.config.server.daySeparator });
    expect(first).toMatchObject({ exists: 1, uids: [1], readOnly: true });
    expect(first.source.equals(expected)).toBe(true);
    expect(second.uidValidity).toBe(first.uidValidity);
    expect(second.source.equals(first.source)).toBe(true);
  });

  test('a day login keeps the day\'s own INBOX', async () => {
    const day = await session(`${ACCOUNT}#${server.day}`, readInbox);
    expect(day.exists).toBe(3);
  });

  test('both views list an empty Trash, so clients find one instead of creating it', async () => {
    for (const user of [ACCOUNT, `${ACCOUNT}#${server.day}`]) {
      await session(user, async (client) => {
        expect((await client.list()).map((entry) => entry.path)).toContain('Trash');
        const trash = await client.mailboxOpen('Trash');
        expect(trash.exists).toBe(0);
        expect(trash.readOnly).toBe(true);
      });
    }
  });
});
