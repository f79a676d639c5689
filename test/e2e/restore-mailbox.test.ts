/**
 * Issue 4, IMAP-native restore: copying snapshot messages into the virtual `Restore` mailbox brings
 * them back to the live folder, and the confirmation email lands in the live INBOX.
 */
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { ImapFlow } from 'imapflow';
import { dayIn } from '../../src/snapshots/day-label.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { freePort } from '../../src/testbed/dovecot.js';
import { liveClient } from '../fixtures/mtm.js';
import { RawImap } from '../fixtures/raw-imap.js';
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

/**
 * Issue 10 item 12: with the restore queue's Redis unreachable, COPY to Restore answers within
 * seconds with NO [UNAVAILABLE] and a reason, instead of hanging on BullMQ's offline queue.
 */
describe.each([
  ['a closed port', async (): Promise<{ url: string; close(): Promise<void> }> => {
    const port = await freePort();
    return { url: `redis://127.0.0.1:${port}`, close: async () => undefined };
  }],
  ['a port that accepts connections but never answers', async (): Promise<{ url: string; close(): Promise<void> }> => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((done) => silent.listen(0, '127.0.0.1', done));
    const { port } = silent.address() as AddressInfo;
    return {
      url: `redis://127.0.0.1:${port}`,
      close: () => {
        for (const socket of sockets) socket.destroy();
        return new Promise<void>((done) => silent.close(() => done()));
      },
    };
  }],
])('with the restore queue\'s Redis at %s', (_, makeRedis) => {
  const user = `restorebox-redis-${Math.random().toString(36).slice(2, 8)}`;
  let redisServer: SnapshotServer;
  let redis: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    redis = await makeRedis();
    redisServer = await startSnapshotServer({
      accounts: [{ user, password: PASSWORD, seed: async (live) => appendAll(live, 'INBOX', buildCorpus({ count: 3, seed: 5 }), () => [], () => new Date(Date.UTC(2026, 5, 1))) }],
      days: [dayIn('UTC')],
      redisUrl: redis.url,
    });
  }, 120000);

  afterAll(async () => {
    await redisServer?.stop();
    await redis?.close();
  });

  test('COPY to Restore answers NO [UNAVAILABLE] within seconds, and no restore runs', async () => {
    const client = await RawImap.connect(redisServer.host, redisServer.port);
    try {
      await client.login(user, PASSWORD);
      await client.command(`SELECT "Snapshots/${redisServer.day}/INBOX"`);
      const started = Date.now();
      const reply = (await client.command('COPY 1 Restore')).toString();
      const elapsed = Date.now() - started;
      expect(reply).toMatch(/^A\d+ NO \[UNAVAILABLE\] Restore denied: restores cannot be queued right now \(the restore queue \(Redis\) (is unreachable|did not answer)/m);
      // Bounded by the 3 s enqueue timeout plus the live-server checks; generous for a loaded machine.
      expect(elapsed).toBeLessThan(15000);
      // The session is still usable.
      expect((await client.command('NOOP')).toString()).toMatch(/^A\d+ OK/m);
    } finally {
      await client.close();
    }
    const jobs = await redisServer.service.recovery.jobs.list(user);
    expect(jobs.map((job) => job.status)).toEqual(['denied']);
  });
});
