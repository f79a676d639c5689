/**
 * Issue 4, IMAP-native restore: copying snapshot messages into the virtual `Restore` mailbox brings
 * them back to the live folder, and the confirmation email lands in the live INBOX.
 */
import { ImapFlow } from 'imapflow';
import { dayIn } from '../../src/snapshots/day-label.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { liveClient } from '../fixtures/mtm.js';
import { startSnapshotServer, type SnapshotServer } from '../fixtures/snapshot-server.js';

const ACCOUNT = 'restorebox-carol';
const PASSWORD = 'carol-restore-pw';
let server: SnapshotServer;

beforeAll(async () => {
  server = await startSnapshotServer({
    accounts: [{
      user: ACCOUNT,
      password: PASSWORD,
      seed: async (live) => appendAll(live, 'Projects', buildCorpus({ count: 6, seed: 31 }), (i) => (i % 2 ? ['\\Seen', '\\Flagged'] : ['\\Seen']), (i) => new Date(Date.UTC(2026, 5, 1 + i, 9))),
    }],
    days: [dayIn('UTC')],
  });
}, 120000);

afterAll(async () => {
  await server?.stop();
});

async function connectToSnapshots(): Promise<ImapFlow> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, logger: false, auth: { user: ACCOUNT, pass: PASSWORD } });
  await client.connect();
  return client;
}

test('Restore is listed beside Snapshots, looks empty and refuses APPEND', async () => {
  const client = await connectToSnapshots();
  try {
    const names = (await client.list()).map((entry) => entry.path);
    expect(names).toContain('Restore');
    expect(names).toContain('Snapshots');
    const status = await client.status('Restore', { messages: true });
    expect(status && status.messages).toBe(0);
    await expect(client.append('Restore', 'Subject: x\r\n\r\nbody\r\n')).rejects.toThrow();
  } finally {
    await client.logout();
  }
});

test('copying 3 snapshot messages to Restore puts them back in the live folder, with a confirmation email', async () => {
  const live = await liveClient(ACCOUNT);
  try {
    await live.mailboxOpen('Projects');
    const before = [];
    for await (const message of live.fetch('1:*', { uid: true, flags: true, internalDate: true, envelope: true })) before.push(message);
    const gone = before.slice(1, 4);
    await live.messageDelete(gone.map((m) => m.uid).join(','), { uid: true });
    await live.mailboxClose();

    const client = await connectToSnapshots();
    try {
      await client.mailboxOpen(`Snapshots/${server.day}/Projects`, { readOnly: true });
      const copied = await client.messageCopy(gone.map((m) => m.uid).join(','), 'Restore', { uid: true });
      expect(copied).toBeTruthy();
    } finally {
      await client.logout();
    }
    await server.service.recovery.queue.idle();

    await live.mailboxOpen('Projects');
    const after = [];
    for await (const message of live.fetch('1:*', { uid: true, flags: true, internalDate: true, envelope: true })) after.push(message);
    await live.mailboxClose();
    expect(after).toHaveLength(before.length);
    for (const original of gone) {
      const back = after.filter((m) => m.envelope?.messageId === original.envelope?.messageId);
      expect(back).toHaveLength(1);
      expect([...(back[0].flags ?? [])].sort()).toEqual([...(original.flags ?? [])].sort());
      expect(back[0].internalDate).toEqual(original.internalDate);
    }

    await live.mailboxOpen('INBOX');
    const subjects = [];
    for await (const message of live.fetch('1:*', { envelope: true })) subjects.push(message.envelope?.subject ?? '');
    await live.mailboxClose();
    expect(subjects.some((subject) => /restor/i.test(subject))).toBe(true);
  } finally {
    await live.logout();
  }
});
