/**
 * Issue 10 item 2, against the real Dovecot: planning and the live presence check share one
 * definition of "the same message" (message-identity.ts), so restores of messages with duplicated,
 * missing or malformed Message-ID headers never duplicate them, run twice in merge or separate
 * mode; and a restore whose live connection is cut mid-way is recorded as interrupted with what it
 * had done, the user is told (once the server is back), and running it again duplicates nothing.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import fc from 'fast-check';
import type { ImapFlow } from 'imapflow';
import { idKeyOf, messageIdsOf, splitByPresence, type LiveIdentity, type PlannedIdentity } from '../../src/recovery/message-identity.js';
import type { RestoreRequest } from '../../src/recovery/request.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { generateMessage } from '../../src/testbed/corpus.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { liveEntries, notices, serviceFor, TODAY } from './helpers.js';

/** Message-ID field values as found in the wild: well-formed, empty, bracket-less, several ids, 8-bit. */
const idValue = fc.oneof(
  fc.tuple(fc.stringMatching(/^[a-z0-9.$]{1,20}$/), fc.stringMatching(/^[a-z0-9.-]{1,12}$/)).map(([left, right]) => `<${left}@${right}>`),
  fc.constantFrom('', ' ', '<>', '<a@x> <b@x>', 'no brackets at all', '<unterminated@x', '<\xe9t\xe9@x>', '<spaced @ x>'),
  fc.stringMatching(/^[ -~]{0,40}$/),
);
const idField = fc.record({
  name: fc.constantFrom('Message-ID', 'message-id', 'Message-Id', 'MESSAGE-ID', 'Message-ID '),
  separator: fc.constantFrom(': ', ':', ':\t', ':\r\n '),
  value: idValue,
});
const idFields = fc.array(idField, { maxLength: 3 }).map((fields) => fields.map(({ name, separator, value }) => `${name}${separator}${value}\r\n`).join(''));

function messageWith(fields: string, index: number): Buffer {
  return Buffer.from(`From: Gen <gen@example.com>\r\nTo: you@example.com\r\nSubject: identity ${index}\r\n${fields}Date: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nBody of message ${index}.\r\n`, 'latin1');
}

/** Two Message-ID fields (the case the issue found), none, and an exact duplicate pair. */
function corpus(): Buffer[] {
  const fixed = [
    'Message-ID: <first@example.com>\r\nMessage-ID: <second@example.com>\r\n',
    'Message-ID: <second@example.com>\r\nMessage-ID: <first@example.com>\r\n',
    'Message-ID: <same@example.com>\r\nMessage-ID: <same@example.com>\r\n',
    '',
    'Message-ID:\r\n',
  ].map(messageWith);
  const generated = fc.sample(idFields, { seed: 1010, numRuns: 40 }).map((fields, i) => messageWith(fields, 100 + i));
  return [...fixed, fixed[0], fixed[3], ...generated];
}

describe('one definition of "the same message"', () => {
  const planned = (idKey: string | null, sha: string): { identity: PlannedIdentity } => ({ identity: { idKey, shaKey: `sha:${sha}` } });

  test('every Message-ID field counts, in order, whatever folding and spacing', () => {
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^<[a-z0-9]{1,8}@[a-z]{1,5}>$/), { minLength: 1, maxLength: 3 }), fc.constantFrom(' ', '\t', '\r\n ', '\r\n\t  '), (ids, fold) => {
        const plain = Buffer.from(ids.map((id) => `Message-ID: ${id}\r\n`).join(''));
        const folded = Buffer.from(ids.map((id) => `message-id:${fold}${id.replace('@', `${fold}@`)}\r\n`).join('') + '\r\nBody\r\n');
        expect(messageIdsOf(plain)).toEqual(ids);
        expect(idKeyOf(folded, 10)).toBe(idKeyOf(plain, 10));
        // The first or the last alone is another message.
        if (ids.length > 1) expect(idKeyOf(Buffer.from(`Message-ID: ${ids[ids.length - 1]}\r\n`), 10)).not.toBe(idKeyOf(plain, 10));
      }),
    );
  });

  test('no usable Message-ID leaves only the hash', () => {
    for (const header of ['', 'Message-ID:\r\n', 'Message-ID: <>\r\n', 'Message-ID:   \r\n \r\n', 'Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n']) {
      expect(idKeyOf(Buffer.from(header), 5)).toBeNull();
    }
  });

  test('presence is a multiset: one live copy accounts for one planned message', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('a', 'b', null), fc.constantFrom('1', '2', '3')), { maxLength: 12 }), fc.array(fc.integer({ min: 0, max: 11 }), { maxLength: 12 }), (specs, picks) => {
        const plan = specs.map(([id, sha]) => planned(id && `id:${id}`, sha));
        // The live folder holds copies of some planned messages: hashed only when their id was not wanted.
        const wantedIds = new Set(plan.map((message) => message.identity.idKey).filter(Boolean));
        const live: LiveIdentity[] = picks.filter((pick) => pick < plan.length).map((pick) => {
          const { idKey, shaKey } = plan[pick].identity;
          return idKey && wantedIds.has(idKey) ? { idKey, shaKey: null } : { idKey, shaKey };
        });
        const split = splitByPresence(plan, live);
        expect(split.present.length + split.missing.length).toBe(plan.length);
        expect(split.present.length).toBeLessThanOrEqual(live.length);
        // Every live copy of a planned message is matched unless the plan has fewer of its kind.
        const distinctPicks = picks.filter((pick) => pick < plan.length);
        if (new Set(distinctPicks).size === distinctPicks.length) expect(split.present.length).toBe(distinctPicks.length);
      }),
    );
  });
});

/** A TCP relay in front of the live server that a test can cut (and bring back on the same port). */
class Relay {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Bytes relayed from mtm to the live server since the last reset. */
  upstreamBytes = 0;
  onBytes: ((chunk: Buffer) => void) | null = null;

  constructor(private readonly target: { host: string; port: number }) {}

  async listen(): Promise<void> {
    this.server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk: Buffer) => {
        this.upstreamBytes += chunk.length;
        upstream.write(chunk);
        this.onBytes?.(chunk);
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((done) => this.server!.listen(this.port, '127.0.0.1', done));
    this.port = (this.server!.address() as AddressInfo).port;
  }

  /** Drops every connection at once and stops accepting new ones: the live server "died". */
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((done) => server.close(() => done()));
  }
}

describe('restores against the real Dovecot', () => {
  const ACCOUNT = 'recovery-identity-ida';
  let live: ImapFlow;
  let directConfig: string;
  let relay: Relay;
  let relayConfig: string;
  const messages = corpus();

  /** The live folder as a multiset of message hashes (sorted), confirmation emails left out. */
  const hashes = async (folder: string): Promise<string[]> => (await liveEntries(live, folder)).map((entry) => entry.key);

  beforeAll(async () => {
    const testbed = testbedFromEnv();
    addUser(testbed, ACCOUNT, 'ida-pw');
    live = await liveClient(ACCOUNT);
    await live.mailboxCreate('Gen');
    for (const raw of messages) await live.append('Gen', raw, ['\\Seen']);
    await live.mailboxCreate('Bulk');
    for (let i = 0; i < 400; i++) await live.append('Bulk', i % 3 === 0 ? messageWith('Message-ID: <a@bulk>\r\nMessage-ID: <' + i + '@bulk>\r\n', i) : generateMessage(i, 77, { minBytes: 2000, maxBytes: 4000 }));
    const dir = tempDir('identity');
    directConfig = writeConfig(dir, [ACCOUNT]);
    expect((await runMtm(['snapshot', '-c', directConfig, '--label', TODAY])).code).toBe(0);
    relay = new Relay(testbed);
    await relay.listen();
    relayConfig = writeConfig(tempDir('identity-relay'), [ACCOUNT], { upstream: { host: '127.0.0.1', port: relay.port }, store: { path: `${dir}/store` } });
  }, 180000);

  afterAll(async () => {
    await relay?.cut();
    await live?.logout();
  });

  const request = (scope: RestoreRequest['scope'], mode: RestoreRequest['mode']): RestoreRequest => ({ account: ACCOUNT, day: TODAY, scope, mode, requester: { kind: 'admin', name: 't' }, origin: 'cli' });

  test('duplicated, missing and malformed Message-IDs: merge and separate restores, each run twice, never duplicate', async () => {
    const snapshot = await hashes('Gen');
    expect(snapshot).toHaveLength(messages.length);
    await live.mailboxOpen('Gen');
    await live.messageDelete('1:*');
    await live.mailboxClose();
    const { service, store } = await serviceFor(directConfig);
    try {
      for (const mode of ['merge', 'separate'] as const) {
        const target = mode === 'merge' ? 'Gen' : `Restored/${TODAY}/Gen`;
        const first = await service.whenDone((await service.submit(request({ kind: 'folder', folder: 'Gen', subfolders: false }, mode))).jobId!);
        expect(first.result).toMatchObject({ restored: messages.length, alreadyPresent: 0, failed: 0 });
        expect(await hashes(target)).toEqual(snapshot);
        const second = await service.whenDone((await service.submit(request({ kind: 'folder', folder: 'Gen', subfolders: false }, mode))).jobId!);
        expect(second.status).toBe('done');
        expect(second.result).toMatchObject({ restored: 0, alreadyPresent: messages.length, failed: 0 });
        expect(await hashes(target)).toEqual(snapshot);
      }
    } finally {
      await service.close();
      await store.close();
    }
  });

  test('a restore whose live connection dies mid-way is recorded as interrupted, told by email, and a retry completes it without duplicates', async () => {
    const snapshot = await hashes('Bulk');
    await live.mailboxDelete('Bulk');
    const noticesBefore = (await notices(live)).length;
    const { service, store } = await serviceFor(relayConfig);
    try {
      // Cut once the restore has pushed a good part of the folder through the relay.
      relay.upstreamBytes = 0;
      relay.onBytes = () => {
        if (relay.upstreamBytes > 300_000) {
          relay.onBytes = null;
          void relay.cut();
        }
      };
      const decision = await service.submit(request({ kind: 'folder', folder: 'Bulk', subfolders: false }, 'merge'));
      expect(decision.accepted).toBe(true);
      const job = await service.whenDone(decision.jobId!);
      expect(job.status).toBe('interrupted');
      expect(job.reason).toMatch(/connection to the mail server was lost/);
      expect(job.result!.restored).toBeGreaterThan(0);
      expect(job.result!.restored).toBeLessThan(snapshot.length);
      expect(job.result!.failed).toBe(0);
      // The email could not go out while the server was away: it is kept, not lost.
      expect(job.noticePending).toBe(true);
      const partial = await hashes('Bulk');
      expect(partial.length).toBeGreaterThanOrEqual(job.result!.restored);
      expect(partial.length).toBeLessThan(snapshot.length);

      // The server is back: the same request again completes the folder, with nothing twice.
      await relay.listen();
      const retry = await service.whenDone((await service.submit(request({ kind: 'folder', folder: 'Bulk', subfolders: false }, 'merge'))).jobId!);
      expect(retry.status).toBe('done');
      expect(retry.result).toMatchObject({ restored: snapshot.length - partial.length, alreadyPresent: partial.length, failed: 0 });
      expect(await hashes('Bulk')).toEqual(snapshot);

      const mails = (await notices(live)).slice(noticesBefore);
      const interrupted = mails.find((mail) => mail.raw.includes(decision.jobId!));
      expect(interrupted?.subject).toMatch(/^Restore interrupted: folder "Bulk" from /);
      expect(interrupted?.text).toContain(`Before it stopped: ${job.result!.restored} restored`);
      expect(interrupted?.text).toContain('not written twice');
      expect(mails.find((mail) => mail.raw.includes(retry.id))?.subject).toBe(`Restore completed: ${snapshot.length - partial.length} messages from ${TODAY}`);
      expect((await service.job(decision.jobId!))?.noticePending).toBe(false);

      // Cut while the decision reads the folder: denied as unavailable, nothing recorded as running.
      const cutAtPresenceCheck = (nth: number): void => {
        let seen = 0;
        relay.onBytes = (chunk) => {
          if (chunk.includes('HEADER.FIELDS') && ++seen === nth) {
            relay.onBytes = null;
            void relay.cut();
          }
        };
      };
      cutAtPresenceCheck(1);
      const refused = await service.submit(request({ kind: 'folder', folder: 'Bulk', subfolders: false }, 'merge'));
      expect(refused).toMatchObject({ accepted: false, denial: { code: 'unavailable' } });
      await relay.listen();
      // Cut while the restore's own presence check reads it: interrupted too, and the retry adds nothing.
      cutAtPresenceCheck(2);
      const during = await service.whenDone((await service.submit(request({ kind: 'folder', folder: 'Bulk', subfolders: false }, 'merge'))).jobId!);
      expect(during.status).toBe('interrupted');
      expect(during.reason).toMatch(/connection to the mail server was lost/);
      expect(during.result).toMatchObject({ restored: 0, failed: 0 });
      await relay.listen();
      const after = await service.whenDone((await service.submit(request({ kind: 'folder', folder: 'Bulk', subfolders: false }, 'merge'))).jobId!);
      expect(after.result).toMatchObject({ restored: 0, alreadyPresent: snapshot.length, failed: 0 });
      expect(await hashes('Bulk')).toEqual(snapshot);
    } finally {
      relay.onBytes = null;
      await service.close();
      await store.close();
    }
  });
});
