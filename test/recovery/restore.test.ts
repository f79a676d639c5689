/**
 * Issue 4 acceptance, against the real Dovecot: merge restores bring back exactly what is missing
 * (flags, INTERNALDATE, re-created folders) and nothing twice; separate restores land under
 * Restored/<day>/; the IMAP-native entry point restores exactly the named messages; every restore
 * ends with a confirmation email carrying the counts.
 */
import type { ImapFlow } from 'imapflow';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { deleteUids, liveEntries, liveState, notices, populate, serviceFor, TODAY, withoutDeletedFlag } from './helpers.js';
import type { RecoveryService } from '../../src/recovery/service.js';
import type { Store } from '../../src/snapshots/store/store.js';

const ACCOUNT = 'recovery-restore-ann';
let live: ImapFlow;
let config: string;
let service: RecoveryService;
let store: Store;
let snapshotState: Map<string, { key: string; flags: string[]; internalDate: string }[]>;

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'ann-pw');
  live = await liveClient(ACCOUNT);
  await populate(live, 41);
  snapshotState = withoutDeletedFlag(await liveState(live));
  const dir = tempDir('restore');
  config = writeConfig(dir, [ACCOUNT]);
  const run = await runMtm(['snapshot', '-c', config, '--label', TODAY]);
  expect(run.code).toBe(0);
  ({ service, store } = await serviceFor(config));
}, 120000);

afterAll(async () => {
  await service?.close();
  await store?.close();
  await live?.logout();
});

test('merge restore brings back exactly the deleted messages and folder, with flags and INTERNALDATE, and a second run adds nothing', async () => {
  const inbox = await liveEntries(live, 'INBOX');
  await deleteUids(live, 'INBOX', [inbox[0].uid, inbox[3].uid, inbox[7].uid]);
  const old = await liveEntries(live, 'Archive/Old');
  await deleteUids(live, 'Archive/Old', [old[1].uid]);
  await live.mailboxDelete('Projects');
  const damaged = await liveState(live);
  expect(damaged.has('Projects')).toBe(false);
  // EXPUNGE also took the messages that already carried \Deleted: they are missing too.
  let missing = 0;
  for (const [folder, entries] of snapshotState) missing += entries.length - (damaged.get(folder)?.length ?? 0);
  expect(missing).toBeGreaterThanOrEqual(11);

  const preview = await service.preview({ account: ACCOUNT, day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'admin', name: 't' }, origin: 'cli' });
  expect(preview.ok).toBe(true);
  if (!preview.ok) return;
  expect(preview.preview.toRestore).toBe(missing);
  expect(preview.preview.foldersToCreate).toBe(1);
  expect(preview.preview.alreadyPresent).toBe(preview.preview.messages - missing);

  const decision = await service.submit({ account: ACCOUNT, day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'account', account: ACCOUNT }, origin: 'http' });
  expect(decision.accepted).toBe(true);
  const job = await service.whenDone(decision.jobId!);
  expect(job.status).toBe('done');
  expect(job.result).toMatchObject({ restored: missing, failed: 0 });
  const restored = await liveState(live);
  // Messages left in place keep their live flags (\Deleted included); restored ones never carry \Deleted.
  expect(withoutDeletedFlag(restored)).toEqual(snapshotState);
  for (const folder of ['INBOX', 'Archive/Old', 'Projects']) expect(restored.get(folder)!.filter((e) => e.flags.includes('\\Deleted'))).toEqual([]);
  const projects = await live.list();
  expect(projects.find((entry) => entry.path === 'Projects')?.subscribed).toBe(true);

  const again = await service.submit({ account: ACCOUNT, day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'admin', name: 't' }, origin: 'cli' });
  expect(again.accepted).toBe(true);
  const second = await service.whenDone(again.jobId!);
  expect(second.result).toMatchObject({ restored: 0, failed: 0 });
  expect(second.result!.alreadyPresent).toBe(job.result!.restored + job.result!.alreadyPresent);
  expect(await liveState(live)).toEqual(restored);

  const mails = await notices(live);
  const first = mails.find((mail) => mail.raw.includes(decision.jobId!))!;
  expect(first.subject).toBe(`Restore completed: ${missing} messages from ${TODAY}`);
  expect(first.text).toContain(`${missing} restored, ${job.result!.alreadyPresent} already present, 0 failed`);
  expect(first.text).toContain('Projects -> Projects (re-created): 7 restored, 0 already present, 0 failed');
  expect(first.html).toContain('<td>Projects (re-created)</td><td>7</td>');
  expect(first.raw).toMatch(/^Date: .+\r\nMessage-ID: <restore\./m);
});

test('a separate restore puts every message of the scope under Restored/<day>/, subscribed; repeating it adds nothing', async () => {
  const request = { account: ACCOUNT, day: TODAY, scope: { kind: 'folder' as const, folder: 'Archive', subfolders: true }, mode: 'separate' as const, requester: { kind: 'admin' as const, name: 't' }, origin: 'cli' as const };
  const decision = await service.submit(request);
  expect(decision.accepted).toBe(true);
  const job = await service.whenDone(decision.jobId!);
  expect(job.result).toMatchObject({ restored: 10, alreadyPresent: 0, failed: 0 });
  const state = await liveState(live);
  expect(state.get(`Restored/${TODAY}/Archive`)).toEqual(snapshotState.get('Archive'));
  expect(state.get(`Restored/${TODAY}/Archive/Old`)).toEqual(snapshotState.get('Archive/Old'));
  const listed = await live.list();
  expect(listed.find((entry) => entry.path === `Restored/${TODAY}/Archive/Old`)?.subscribed).toBe(true);

  const again = await service.whenDone((await service.submit(request)).jobId!);
  expect(again.result).toMatchObject({ restored: 0, alreadyPresent: 10 });
  expect((await liveState(live)).get(`Restored/${TODAY}/Archive`)).toEqual(snapshotState.get('Archive'));
});

test('the IMAP-native path restores exactly the named messages and confirms by email', async () => {
  const seq = (await store.catalog.captureForDay(ACCOUNT, TODAY))!;
  const folder = (await store.catalog.folders(ACCOUNT, seq)).find((f) => f.name === 'Projects')!;
  const snapshotUids = (await store.catalog.messages(ACCOUNT, seq, 'Projects', folder.uidValidity)).map((m) => m.uid);
  const current = await liveEntries(live, 'Projects');
  // Delete four live messages; ask for three of them (by their snapshot UIDs) back.
  await deleteUids(live, 'Projects', current.slice(0, 4).map((entry) => entry.uid));
  const remaining = new Set((await liveEntries(live, 'Projects')).map((entry) => entry.key));
  const snapshotKeys = snapshotState.get('Projects')!.map((entry) => entry.key);
  const blobs = await Promise.all(snapshotUids.map(async (uid) => ({ uid, hash: (await store.catalog.messages(ACCOUNT, seq, 'Projects', folder.uidValidity)).find((m) => m.uid === uid)!.blobHash })));
  const missingUids = blobs.filter((b) => !remaining.has(b.hash)).map((b) => b.uid);
  expect(missingUids).toHaveLength(4);
  expect(snapshotKeys).toHaveLength(7);

  const decision = await service.fileRestoreFromImap({ account: ACCOUNT, day: TODAY, folder: 'Projects', uids: missingUids.slice(0, 3) });
  expect(decision.accepted).toBe(true);
  const job = await service.whenDone(decision.jobId!);
  expect(job.result).toMatchObject({ restored: 3, alreadyPresent: 0, failed: 0 });
  const after = new Set((await liveEntries(live, 'Projects')).map((entry) => entry.key));
  expect(after.size).toBe(6);
  for (const uid of missingUids.slice(0, 3)) expect(after.has(blobs.find((b) => b.uid === uid)!.hash)).toBe(true);
  expect(after.has(blobs.find((b) => b.uid === missingUids[3])!.hash)).toBe(false);
  const mail = (await notices(live)).find((m) => m.raw.includes(decision.jobId!));
  expect(mail?.text).toContain('3 restored, 0 already present, 0 failed');
});

test('a requester cannot restore into another account, and nothing is recorded or sent there', async () => {
  const before = await liveState(live);
  const decision = await service.submit({ account: ACCOUNT, day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'account', account: 'someone-else' }, origin: 'http' });
  expect(decision.accepted).toBe(false);
  if (decision.accepted) return;
  expect(decision.denial.code).toBe('not-allowed');
  expect(decision.jobId).toBeNull();
  expect(await liveState(live)).toEqual(before);
});
