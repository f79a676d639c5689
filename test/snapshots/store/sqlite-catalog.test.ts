/**
 * The SQLite catalog: versioned rows (an unchanged message is one row however many days keep it),
 * nothing visible before commit, crash roll-back, and retention that never pulls rows or blobs
 * from under a running capture.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import type { MessageStructure } from '../../../src/mail/structure.js';
import { OPEN, type Capture, type MessageRecord } from '../../../src/snapshots/store/catalog.js';
import { captureInbox, hash, inbox, message } from './catalog-history.js';
import { SqliteCatalog } from '../../../src/snapshots/store/embedded/sqlite-catalog.js';

const ACCOUNT = 'catalog-jo';
const STRUCTURE = {} as MessageStructure;

function fresh(): { file: string; catalog: SqliteCatalog } {
  const file = join(mkdtempSync(join(tmpdir(), 'mtm-catalog-test-')), 'catalog.sqlite');
  return { file, catalog: new SqliteCatalog(file) };
}

/** One complete capture of INBOX holding `messages`. */
function capture(catalog: SqliteCatalog, day: string, messages: MessageRecord[], commit = true): Promise<Capture> {
  return captureInbox(catalog, ACCOUNT, STRUCTURE, day, messages, commit);
}

function rowCount(file: string, table: string): number {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
  } finally {
    db.close();
  }
}

test('an unchanged message costs one row however many days keep it; a changed one gets a new version', async () => {
  const { file, catalog } = fresh();
  const day1 = [message(1), message(2, ['\\Seen']), message(3)];
  for (let d = 1; d <= 10; d++) await capture(catalog, `2026-05-${String(d).padStart(2, '0')}`, day1);
  expect(rowCount(file, 'message_versions')).toBe(3);
  expect(rowCount(file, 'folder_versions')).toBe(1);
  // Day 11: message 2 loses \Seen, message 3 is gone.
  const seq11 = (await capture(catalog, '2026-05-11', [message(1), message(2)])).seq;
  expect(rowCount(file, 'message_versions')).toBe(4);
  expect((await catalog.messages(ACCOUNT, seq11, 'INBOX', 7)).map((m) => [m.uid, m.flags])).toEqual([[1, []], [2, []]]);
  const seq10 = (await catalog.captureForDay(ACCOUNT, '2026-05-10'))!;
  expect((await catalog.messages(ACCOUNT, seq10, 'INBOX', 7)).map((m) => [m.uid, m.flags])).toEqual([[1, []], [2, ['\\Seen']], [3, []]]);
  expect((await catalog.days(ACCOUNT)).map((d) => d.messages)).toEqual([...Array(10).fill(3), 2]);
  await catalog.close();
});

test('a capture is invisible until committed, and abandoning it leaves the earlier days as they were', async () => {
  const { catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1), message(2)]);
  const running = await capture(catalog, '2026-05-02', [message(1), message(3)], false);
  expect((await catalog.days(ACCOUNT)).map((d) => d.day)).toEqual(['2026-05-01']);
  expect(await catalog.captureForDay(ACCOUNT, '2026-05-02')).toBeNull();
  await catalog.abandonCapture(running);
  const seq1 = (await catalog.captureForDay(ACCOUNT, '2026-05-01'))!;
  expect((await catalog.messages(ACCOUNT, seq1, 'INBOX', 7)).map((m) => m.uid)).toEqual([1, 2]);
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([hash(3)]);
  await catalog.close();
});

test('taking a day again supersedes it: one entry, the newer content', async () => {
  const { catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1)]);
  await capture(catalog, '2026-05-01', [message(1), message(2)]);
  const days = await catalog.days(ACCOUNT);
  expect(days.map((d) => [d.day, d.messages])).toEqual([['2026-05-01', 2]]);
  await catalog.close();
});

test('an interrupted capture is rolled back by the next one, which adopts its fetched blobs', async () => {
  const { catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1)]);
  // A run that fetched blob 2 and recorded nothing, then died (same pid: treated as stale).
  const { capture: dead } = await catalog.startCapture(ACCOUNT, '2026-05-02');
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 102, storedBytes: 102 }, structure: STRUCTURE }], dead);
  const { capture: next } = await catalog.startCapture(ACCOUNT, '2026-05-02');
  expect(next.previousSeq).toBe((await catalog.captureForDay(ACCOUNT, '2026-05-01'))!);
  // While the new run has not recorded its folders yet, garbage collection must leave blob 2 alone.
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([]);
  expect(await catalog.hasBlob(ACCOUNT, hash(2))).toBe(true);
  await catalog.recordFolder(next, inbox([message(1), message(2)]), [message(1), message(2)]);
  await catalog.commitCapture(next);
  expect((await catalog.referencedBlobs(ACCOUNT)).map((b) => b.hash)).toEqual([hash(1), hash(2)]);
  await expect(catalog.commitCapture(dead)).rejects.toThrow(/no longer running/);
  await catalog.close();
});

test('dropping days: expired ones go with their rows; the day a running capture builds on stays until it is done', async () => {
  const { catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1), message(2)]);
  await capture(catalog, '2026-05-02', [message(2), message(3)]);
  const { capture: running } = await catalog.startCapture(ACCOUNT, '2026-05-03');
  expect(await catalog.dropDays(ACCOUNT, ['2026-05-01', '2026-05-02'])).toEqual(['2026-05-01']);
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([hash(1)]);
  // The running capture still finds day 2's rows to extend.
  await catalog.carryFolderForward(running, 'INBOX', 7);
  await catalog.commitCapture(running);
  const seq3 = (await catalog.captureForDay(ACCOUNT, '2026-05-03'))!;
  expect((await catalog.messages(ACCOUNT, seq3, 'INBOX', 7)).map((m) => m.uid)).toEqual([2, 3]);
  // With nothing running, day 2 can go; its blobs stay because day 3 has them.
  expect(await catalog.dropDays(ACCOUNT, ['2026-05-02'])).toEqual(['2026-05-02']);
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([]);
  expect((await catalog.days(ACCOUNT)).map((d) => d.day)).toEqual(['2026-05-03']);
  expect(await catalog.dropDays(ACCOUNT, ['2026-04-01'])).toEqual([]);
  await catalog.close();
});

test('a capture whose process died does not hold back retention', async () => {
  const { file, catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1)]);
  await capture(catalog, '2026-05-02', [message(2)]);
  const { capture: dead } = await catalog.startCapture(ACCOUNT, '2026-05-03');
  const gone = spawnSync(process.execPath, ['-e', '']).pid!;
  const db = new Database(file);
  db.prepare('UPDATE captures SET pid = ? WHERE seq = ?').run(gone, dead.seq);
  db.close();
  expect(await catalog.dropDays(ACCOUNT, ['2026-05-01', '2026-05-02'])).toEqual(['2026-05-01', '2026-05-02']);
  // The next run rolls the dead capture back and starts from nothing.
  const { capture: next } = await catalog.startCapture(ACCOUNT, '2026-05-03');
  expect(next.previousSeq).toBeNull();
  await catalog.collectGarbage(ACCOUNT);
  expect(await catalog.days(ACCOUNT)).toEqual([]);
  await catalog.close();
});

test('bodies noted with recordFetched survive any number of failed or interrupted captures, until a commit or a prune with no run', async () => {
  const { file, catalog } = fresh();
  await capture(catalog, '2026-04-01', [message(1)]);
  const fetched = (uid: number) => ({ folder: 'INBOX', uidValidity: 7, uid, size: 100 + uid, internalDate: Date.UTC(2026, 0, uid), blobHash: hash(uid) });
  // A run stores two bodies of a folder it never finishes, then fails (abandoned).
  const { capture: first } = await catalog.startCapture(ACCOUNT, '2026-04-02');
  await catalog.recordFetched(first, fetched(2));
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 102, storedBytes: 102 }, structure: STRUCTURE }], first);
  await catalog.recordFetched(first, fetched(3));
  await catalog.abandonCapture(first);
  // The next one gets both back, and stores one more before it is killed (left running).
  const { capture: second, salvaged } = await catalog.startCapture(ACCOUNT, '2026-04-02');
  expect(salvaged.map((m) => m.uid).sort()).toEqual([2, 3]);
  await catalog.recordFetched(second, fetched(4));
  // Its blob rows are in use while it runs: a prune in between keeps them.
  expect(await catalog.collectGarbage(ACCOUNT)).toEqual([]);
  const db = new Database(file);
  db.prepare("UPDATE captures SET pid = 999999999 WHERE seq = ?").run(second.seq);
  db.close();
  const { capture: third, salvaged: again } = await catalog.startCapture(ACCOUNT, '2026-04-02');
  expect(again.map((m) => m.uid).sort()).toEqual([2, 3, 4]);
  await catalog.abandonCapture(third);
  // With no run left, a prune gives them all up: the blob row and the bodies that never got one.
  expect((await catalog.collectGarbage(ACCOUNT)).sort()).toEqual([hash(2), hash(3), hash(4)]);
  const { salvaged: none } = await catalog.startCapture(ACCOUNT, '2026-04-03');
  expect(none).toEqual([]);
  await catalog.close();
});

test('a catalog its last writer closed is left in rollback-journal mode, readable without -wal/-shm files', async () => {
  const { file, catalog } = fresh();
  await capture(catalog, '2026-04-01', [message(1), message(2)]);
  await catalog.close();
  expect(readdirSync(dirname(file))).toEqual(['catalog.sqlite']);
  const reader = new SqliteCatalog(file, { readOnly: true });
  expect((await reader.days(ACCOUNT)).map((d) => [d.day, d.messages])).toEqual([['2026-04-01', 2]]);
  await reader.close();
  expect(readdirSync(dirname(file))).toEqual(['catalog.sqlite']);
});

test('a catalog written before open-ended rows is upgraded on open: the same days, an old run rolled back, and an unchanged night adds no message row', async () => {
  const { file, catalog } = fresh();
  await capture(catalog, '2026-05-01', [message(1), message(2), message(3)]);
  const seq2 = (await capture(catalog, '2026-05-02', [message(1), message(2, ['\\Seen'])])).seq;
  const { capture: dead } = await catalog.startCapture(ACCOUNT, '2026-05-03');
  await catalog.close();
  // Back to the layout of before: rows end at the latest capture that has them, and the old
  // version's run left behind extended message 1 and added message 4 before it died.
  const db = new Database(file);
  for (const table of ['folder_versions', 'message_versions']) db.prepare(`UPDATE ${table} SET last_seq = ? WHERE last_seq = ?`).run(seq2, OPEN);
  db.prepare('UPDATE message_versions SET last_seq = ? WHERE uid = 1 AND last_seq = ?').run(dead.seq, seq2);
  db.prepare("INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq) SELECT id, 'INBOX', 7, 4, ?, '[]', 0, 104, ?, ? FROM accounts")
    .run(hash(4), dead.seq, dead.seq);
  db.exec('ALTER TABLE folder_versions DROP COLUMN recorded_seq');
  db.pragma('user_version = 0');
  db.close();
  const reader = new SqliteCatalog(file, { readOnly: true });
  expect((await reader.days(ACCOUNT)).map((d) => [d.day, d.messages])).toEqual([['2026-05-01', 3], ['2026-05-02', 2]]);
  await reader.close();

  const upgraded = new SqliteCatalog(file);
  expect((await upgraded.days(ACCOUNT)).map((d) => [d.day, d.messages])).toEqual([['2026-05-01', 3], ['2026-05-02', 2]]);
  const rowsBefore = rowCount(file, 'message_versions');
  const seq3 = (await capture(upgraded, '2026-05-03', [message(1), message(2, ['\\Seen'])])).seq;
  // The old run's row is gone and nothing was added: the upgraded rows were open.
  expect(rowCount(file, 'message_versions')).toBe(rowsBefore - 1);
  for (const [seq, uids] of [[seq2 - 1, [1, 2, 3]], [seq2, [1, 2]], [seq3, [1, 2]]] as const) {
    expect((await upgraded.messages(ACCOUNT, seq, 'INBOX', 7)).map((m) => m.uid)).toEqual(uids);
  }
  await upgraded.close();
  const check = new Database(file, { readonly: true });
  expect(check.pragma('user_version', { simple: true })).toBeGreaterThanOrEqual(1);
  check.close();
});

test('blob rows written before the compact encoding (JSON text, raw header) read back beside compact ones', async () => {
  const { file, catalog } = fresh();
  const structure = { version: 3, headerLength: 20, root: { kind: 'text', children: [] } } as unknown as MessageStructure;
  const header = Buffer.from('Subject: old row\r\n\r\n');
  const { capture: started } = await catalog.startCapture(ACCOUNT, '2026-05-01');
  await catalog.addBlobs(ACCOUNT, [{ blob: { hash: hash(2), size: 50, storedBytes: 50 }, structure, header }], started);
  const db = new Database(file);
  db.prepare('INSERT INTO blobs (account_id, hash, size, stored_bytes, structure, added_seq, header) SELECT id, ?, 50, 50, ?, ?, ? FROM accounts')
    .run(hash(1), JSON.stringify(structure), started.seq, header);
  db.close();
  for (const n of [1, 2]) expect(await catalog.blobStructure(ACCOUNT, hash(n))).toEqual(structure);
  const headers = await catalog.blobHeaders(ACCOUNT, [hash(1), hash(2)]);
  expect([headers.get(hash(1))!.toString(), headers.get(hash(2))!.toString()]).toEqual([header.toString(), header.toString()]);
  await catalog.close();
});
