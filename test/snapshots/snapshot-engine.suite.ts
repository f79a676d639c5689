/**
 * Issue 2 acceptance, against the real Dovecot: a varied account is snapshotted exactly as Dovecot
 * reports it, the live server is untouched, and a second day after changes is versioned correctly.
 * Run once per store backend (snapshot-engine.test.ts: embedded; snapshot-engine.postgres.test.ts).
 */
import { ImapFlow } from 'imapflow';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { openStore, type StoreSettings } from '../../src/snapshots/store/store.js';
import { liveClient, liveMessages, mtmJson, runMtm, tempDir, writeConfig, type LiveMessage } from '../fixtures/mtm.js';

export interface EngineVariant {
  /** A Dovecot user of its own (all variants share the test Dovecot). */
  account: string;
  /** The store settings besides `path`, e.g. `postgres`; made before the first snapshot, undone after the last test. */
  store?: () => Promise<{ settings: Partial<StoreSettings>; cleanup(): Promise<void> }>;
}

export function describeSnapshotEngine(variant: EngineVariant): void {
const ACCOUNT = variant.account;
const DAY1 = '2026-11-01';
const DAY2 = '2026-11-02';

interface FolderJson { name: string; delimiter: string; messages: number; uidValidity: number; uidNext: number; subscribed: boolean; specialUse: string | null }
interface MessageJson { uid: number; size: number; flags: string[]; internalDate: string; sha256: string }

const LAYOUT: { folder: string; count: number; subscribe: boolean }[] = [
  { folder: 'INBOX', count: 60, subscribe: false },
  { folder: 'Sent', count: 30, subscribe: true },
  { folder: 'Archive/2024', count: 40, subscribe: true },
  { folder: 'Archive/2025', count: 30, subscribe: true },
  { folder: 'Entwürfe & Æblegrød', count: 20, subscribe: true },
  { folder: 'Lists/dev/nightly', count: 25, subscribe: true },
  { folder: 'Hidden', count: 15, subscribe: false },
  { folder: 'Empty', count: 0, subscribe: true },
];
const FLAG_SETS = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '\\Seen'], ['$Label1'], ['\\Draft'], ['\\Deleted', '\\Seen']];

let live: ImapFlow;
let dir: string;
let config: string;
let before: Map<string, LiveMessage[]>;
let storeSettings: StoreSettings;
let cleanupStore = async () => {};

async function liveState(withSource = false): Promise<Map<string, LiveMessage[]>> {
  const state = new Map<string, LiveMessage[]>();
  for (const entry of await live.list()) {
    if (entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent')) continue;
    state.set(entry.path, await liveMessages(live, entry.path, withSource));
  }
  return state;
}

beforeAll(async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ACCOUNT, 'alice-pw-1');
  live = await liveClient(ACCOUNT);
  const corpus = buildCorpus({ count: 220, seed: 7 });
  let next = 0;
  for (const { folder, count, subscribe } of LAYOUT) {
    const messages = corpus.slice(next, next + count);
    next += count;
    if (folder === 'Empty') await live.mailboxCreate(folder);
    await appendAll(live, folder, messages, (i) => FLAG_SETS[(i + next) % FLAG_SETS.length], (i) => new Date(Date.UTC(2025, i % 12, 1 + (i % 27), i % 24, i % 60, 7)));
    if (subscribe) await live.mailboxSubscribe(folder);
    else await live.mailboxUnsubscribe(folder);
  }
  dir = tempDir('engine');
  const backend = await variant.store?.();
  if (backend) cleanupStore = backend.cleanup;
  storeSettings = { path: `${dir}/store`, ...backend?.settings };
  config = writeConfig(dir, [ACCOUNT], { store: storeSettings as unknown as Record<string, unknown> });
  before = await liveState(true);
  const run = await runMtm(['snapshot', '-c', config, '--label', DAY1]);
  expect(run.stderr).not.toContain('alice-pw-1');
  expect(run.code).toBe(0);
}, 180000);

afterAll(async () => {
  await live?.logout();
  await cleanupStore();
});

test('every folder, count, UID, flag, INTERNALDATE and size equals what Dovecot reports', async () => {
  const folders = await mtmJson<FolderJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1]);
  expect(folders.map((f) => f.name).sort()).toEqual([...before.keys()].sort());
  expect(folders.length).toBeGreaterThanOrEqual(7);
  let total = 0;
  for (const folder of folders) {
    const expected = before.get(folder.name)!;
    const status = await live.status(folder.name, { uidValidity: true, uidNext: true });
    if (!status) throw new Error(`no STATUS for ${folder.name}`);
    expect(folder.uidValidity).toBe(Number(status.uidValidity));
    expect(folder.uidNext).toBe(status.uidNext);
    expect(folder.delimiter).toBe('/');
    expect(folder.messages).toBe(expected.length);
    const messages = await mtmJson<MessageJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1, '--folder', folder.name]);
    expect(messages.map(({ uid, flags, internalDate, size }) => ({ uid, flags: [...flags].sort(), internalDate, size })))
      .toEqual(expected.map(({ uid, flags, internalDate, size }) => ({ uid, flags, internalDate, size })));
    total += messages.length;
  }
  expect(total).toBeGreaterThanOrEqual(200);
});

test('subscription and special-use are recorded, unsubscribed folders and INBOX included', async () => {
  const folders = await mtmJson<FolderJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1]);
  const byName = new Map(folders.map((f) => [f.name, f]));
  expect(byName.get('INBOX')!.subscribed).toBe(false);
  expect(byName.get('Hidden')!.subscribed).toBe(false);
  expect(byName.get('Archive/2024')!.subscribed).toBe(true);
  expect(byName.get('Sent')!.specialUse).toBe('\\Sent');
  expect(byName.get('Archive/2025')!.specialUse).toBeNull();
  expect(byName.get('Empty')!.messages).toBe(0);
  expect(byName.has('Entwürfe & Æblegrød')).toBe(true);
});

test("every blob is byte-identical to Dovecot's BODY.PEEK[]", async () => {
  const store = await openStore(storeSettings);
  try {
    const seq = (await store.catalog.captureForDay(ACCOUNT, DAY1))!;
    let compared = 0;
    for (const folder of await store.catalog.folders(ACCOUNT, seq)) {
      const expected = new Map(before.get(folder.name)!.map((m) => [m.uid, m.source!]));
      for (const message of await store.catalog.messages(ACCOUNT, seq, folder.name, folder.uidValidity)) {
        const bytes = await store.blobs.readAll(ACCOUNT, message.blobHash);
        expect(bytes.equals(expected.get(message.uid)!)).toBe(true);
        compared += 1;
      }
    }
    expect(compared).toBeGreaterThanOrEqual(200);
  } finally {
    await store.close();
  }
});

test('the live server is untouched: flags are the same after the snapshot as before', async () => {
  const after = await liveState(false);
  for (const [folder, messages] of before) {
    expect(after.get(folder)!.map((m) => [m.uid, m.flags])).toEqual(messages.map((m) => [m.uid, m.flags]));
  }
});

test('a second day after changes reflects them, keeps the first day, and downloads only new bodies', async () => {
  const day1Inbox = await mtmJson<MessageJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1, '--folder', 'INBOX']);
  const day1Folders = await mtmJson<FolderJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1]);
  // Changes on the live server: 5 new messages, 3 deleted, 2 re-flagged, a rename and a deletion.
  const fresh = buildCorpus({ count: 5, seed: 99 });
  await appendAll(live, 'INBOX', fresh);
  await live.mailboxOpen('INBOX');
  const uids = day1Inbox.map((m) => m.uid);
  await live.messageDelete(uids.slice(0, 3).join(','), { uid: true });
  await live.messageFlagsAdd(String(uids[10]), ['\\Flagged'], { uid: true });
  await live.messageFlagsRemove(String(uids[11]), ['\\Seen'], { uid: true });
  await live.messageFlagsAdd(String(uids[11]), ['$Changed'], { uid: true });
  await live.mailboxClose();
  await live.mailboxRename('Archive/2025', 'Archive/2025-old');
  await live.mailboxDelete('Hidden');

  const run = await runMtm(['snapshot', '-c', config, '--label', DAY2]);
  expect(run.code).toBe(0);
  expect(run.stdout).toMatch(new RegExp(`${ACCOUNT} ${DAY2}: .*downloaded 5 \\(`));

  const day2 = await liveState(false);
  const folders2 = await mtmJson<FolderJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY2]);
  expect(folders2.map((f) => f.name).sort()).toEqual([...day2.keys()].sort());
  expect(folders2.some((f) => f.name === 'Archive/2025-old')).toBe(true);
  expect(folders2.some((f) => f.name === 'Archive/2025' || f.name === 'Hidden')).toBe(false);
  for (const folder of folders2) {
    const messages = await mtmJson<MessageJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY2, '--folder', folder.name]);
    expect(messages.map((m) => [m.uid, [...m.flags].sort(), m.size])).toEqual(day2.get(folder.name)!.map((m) => [m.uid, m.flags, m.size]));
  }
  // Day 1 is exactly as it was.
  expect(await mtmJson<MessageJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1, '--folder', 'INBOX'])).toEqual(day1Inbox);
  expect(await mtmJson<FolderJson[]>(['list', '-c', config, '--account', ACCOUNT, '--day', DAY1])).toEqual(day1Folders);
  const days = await mtmJson<{ day: string; folders: number; messages: number; bytes: number }[]>(['list', '-c', config, '--account', ACCOUNT]);
  expect(days.map((d) => d.day)).toEqual([DAY1, DAY2]);
  expect(days[1].messages).toBe([...day2.values()].reduce((sum, messages) => sum + messages.length, 0));
  expect(days[1].messages).toBeLessThan(days[0].messages);
}, 300_000);
}
