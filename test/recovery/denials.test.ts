/**
 * Issue 4 acceptance: a whole-account restore into an emptied mailbox, and the denials — day outside
 * retention, a second restore while one is pending, over recovery.maxBytes, over the live quota —
 * each writing nothing but a denial email that gives the reason.
 */
import type { ImapFlow } from 'imapflow';
import { InProcessQueue } from '../../src/recovery/queue.js';
import type { RestoreRequest } from '../../src/recovery/request.js';
import { addDays } from '../../src/snapshots/day-label.js';
import { addUser, startDovecot, stopDovecot, testbedFromEnv, type DovecotTestbed } from '../../src/testbed/dovecot.js';
import { generateMessage } from '../../src/testbed/corpus.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { liveState, notices, populate, serviceFor, TODAY, withoutDeletedFlag } from './helpers.js';

const ACCOUNT = 'recovery-denials-bo';
const OLD_DAY = addDays(TODAY, -20);
let live: ImapFlow;
let config: string;
let dir: string;

const request = (overrides: Partial<RestoreRequest> = {}): RestoreRequest => ({
  account: ACCOUNT, day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'account', account: ACCOUNT }, origin: 'http', ...overrides,
});

/** Live state without the notices, plus the notices, so "nothing written" can be checked exactly. */
async function expectOnlyNewDenial(before: Awaited<ReturnType<typeof liveState>>, noticesBefore: number, reason: RegExp): Promise<void> {
  expect(await liveState(live)).toEqual(before);
  const mails = await notices(live);
  expect(mails).toHaveLength(noticesBefore + 1);
  const denial = mails[mails.length - 1];
  expect(denial.subject).toMatch(/^Restore denied: /);
  expect(denial.text).toMatch(reason);
  expect(denial.text).toContain('Nothing was changed in your mailbox');
  expect(denial.text).toContain('What you can do:');
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'bo-pw');
  live = await liveClient(ACCOUNT);
  await populate(live, 42);
  dir = tempDir('denials');
  config = writeConfig(dir, [ACCOUNT]);
  expect((await runMtm(['snapshot', '-c', config, '--label', OLD_DAY])).code).toBe(0);
  expect((await runMtm(['snapshot', '-c', config, '--label', TODAY])).code).toBe(0);
}, 120000);

afterAll(async () => {
  await live?.logout();
});

test('a whole-account restore into an emptied mailbox brings every folder, message, flag and date back', async () => {
  const snapshotState = withoutDeletedFlag(await liveState(live));
  for (const entry of await live.list()) if (entry.path !== 'INBOX') await live.mailboxDelete(entry.path).catch(() => undefined);
  await live.mailboxOpen('INBOX');
  await live.messageDelete('1:*');
  await live.mailboxClose();
  expect([...(await liveState(live)).keys()]).toEqual(['INBOX']);

  const { service, store } = await serviceFor(config);
  try {
    const decision = await service.submit(request());
    expect(decision.accepted).toBe(true);
    const job = await service.whenDone(decision.jobId!);
    expect(job.result).toMatchObject({ restored: [...snapshotState.values()].reduce((n, e) => n + e.length, 0), alreadyPresent: 0, failed: 0 });
    expect(await liveState(live)).toEqual(snapshotState);
    const subscribed = (await live.list()).filter((entry) => entry.subscribed).map((entry) => entry.path).sort();
    expect(subscribed).toEqual([...snapshotState.keys()].sort());
  } finally {
    await service.close();
    await store.close();
  }
});

test('a day outside retention is denied: nothing written, a denial email says why', async () => {
  const before = await liveState(live);
  const count = (await notices(live)).length;
  const { service, store } = await serviceFor(config);
  try {
    const decision = await service.submit(request({ day: OLD_DAY }));
    expect(decision.accepted).toBe(false);
    if (decision.accepted) return;
    expect(decision.denial.code).toBe('outside-retention');
    expect(decision.notified).toBe(true);
    await expectOnlyNewDenial(before, count, /outside the 15 days snapshots are kept/);
  } finally {
    await service.close();
    await store.close();
  }
});

test('a second restore while one is pending is denied; the first then runs', async () => {
  const { service, store } = await serviceFor(config, (runner) => new InProcessQueue(runner, { autostart: false }));
  try {
    await live.mailboxDelete('Projects');
    const first = await service.submit(request({ scope: { kind: 'folder', folder: 'Projects', subfolders: false } }));
    expect(first.accepted).toBe(true);
    const before = await liveState(live);
    const count = (await notices(live)).length;
    const second = await service.submit(request({ scope: { kind: 'folder', folder: 'Archive', subfolders: true } }));
    expect(second.accepted).toBe(false);
    if (second.accepted) return;
    expect(second.denial.code).toBe('busy');
    await expectOnlyNewDenial(before, count, /another restore for recovery-denials-bo is in progress/);
    service.queue.resume();
    const done = await service.whenDone(first.jobId!);
    expect(done.result).toMatchObject({ restored: 7, failed: 0 });
  } finally {
    await service.close();
    await store.close();
  }
});

test('a restore larger than recovery.maxBytes is denied and writes nothing', async () => {
  const small = writeConfig(dir, [ACCOUNT], { recovery: { maxBytes: 1000 } });
  await live.mailboxDelete('Archive/Old');
  const before = await liveState(live);
  const count = (await notices(live)).length;
  const { service, store } = await serviceFor(small);
  try {
    const decision = await service.submit(request({ scope: { kind: 'folder', folder: 'Archive', subfolders: true } }));
    expect(decision.accepted).toBe(false);
    if (decision.accepted) return;
    expect(decision.denial.code).toBe('over-max-bytes');
    await expectOnlyNewDenial(before, count, /more than the 1000 bytes allowed in one request/);
  } finally {
    await service.close();
    await store.close();
  }
});

describe('with a 1 MB live quota (a Dovecot of its own)', () => {
  let quotaBed: DovecotTestbed;
  const QUOTA_ACCOUNT = 'recovery-quota-cy';
  beforeAll(async () => {
    quotaBed = await startDovecot({ quota: '1M' });
    addUser(quotaBed, QUOTA_ACCOUNT, 'cy-pw');
  }, 60000);
  afterAll(() => stopDovecot(quotaBed));

  test('a restore that would not fit the quota is denied and writes nothing', async () => {
    const client = await liveClient(QUOTA_ACCOUNT, quotaBed);
    try {
      await client.mailboxCreate('Big');
      for (let i = 0; i < 6; i++) await client.append('Big', generateMessage(i, 9, { minBytes: 90000, maxBytes: 100000 }));
      await client.append('INBOX', generateMessage(50, 9, { minBytes: 200000, maxBytes: 210000 }));
      const quotaDir = tempDir('quota');
      const quotaConfig = writeConfig(quotaDir, [QUOTA_ACCOUNT], {
        upstream: { host: quotaBed.host, port: quotaBed.port },
        snapshot: { accounts: [QUOTA_ACCOUNT], auth: { mode: 'master', masterUser: quotaBed.masterUser, masterPassword: quotaBed.masterPassword } },
      });
      expect((await runMtm(['snapshot', '-c', quotaConfig, '--label', TODAY])).code).toBe(0);
      // Room freed for a while: new mail now takes most of it, so Big no longer fits back.
      await client.mailboxDelete('Big');
      for (let i = 0; i < 6; i++) await client.append('INBOX', generateMessage(100 + i, 9, { minBytes: 80000, maxBytes: 90000 }));
      const folders = await client.list();
      expect(folders.map((f) => f.path)).toEqual(['INBOX']);
      const inboxCount = async () => ((await client.status('INBOX', { messages: true })) || { messages: -1 }).messages;
      const inboxBefore = await inboxCount();

      const { service, store } = await serviceFor(quotaConfig);
      try {
        const decision = await service.submit({ account: QUOTA_ACCOUNT, day: TODAY, scope: { kind: 'folder', folder: 'Big', subfolders: false }, mode: 'merge', requester: { kind: 'admin', name: 't' }, origin: 'cli' });
        expect(decision.accepted).toBe(false);
        if (decision.accepted) return;
        expect(decision.denial.code).toBe('over-quota');
        expect(decision.notified).toBe(true);
      } finally {
        await service.close();
        await store.close();
      }
      expect((await client.list()).map((f) => f.path)).toEqual(['INBOX']);
      expect(await inboxCount()).toBe((inboxBefore ?? 0) + 1);
      await client.mailboxOpen('INBOX', { readOnly: true });
      const last = await client.fetchOne('*', { source: true });
      await client.mailboxClose();
      expect(last && last.source!.toString()).toContain('Subject: Restore denied: folder "Big"');
    } finally {
      await client.logout();
    }
  });
});
