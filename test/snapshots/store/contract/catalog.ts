/**
 * The Catalog contract (src/snapshots/store/catalog.ts): what every catalog implementation must do,
 * whatever holds it. A backend's test file calls catalogContract with a factory of fresh, empty
 * catalogs. Accounts isolate everything, so generated runs share one catalog, an account each.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { MessageStructure } from '../../../../src/mail/structure.js';
import type { Capture, Catalog, FolderRecord, MessageRecord, ReusableMessage } from '../../../../src/snapshots/store/catalog.js';
import { withFresh, type Fresh } from './subject.js';

const STRUCTURE = { contentType: 'text/plain', size: 5 } as unknown as MessageStructure;
const hashOf = (text: string) => createHash('sha256').update(text).digest('hex');
const hash = (n: number) => hashOf(`message ${n}`);

function folder(name: string, messages: MessageRecord[], uidValidity = 7): FolderRecord {
  return {
    name, delimiter: '/', uidValidity, uidNext: Math.max(0, ...messages.map((m) => m.uid)) + 1, highestModseq: null,
    subscribed: true, specialUse: null, messages: messages.length, bytes: messages.reduce((n, m) => n + m.size, 0),
  };
}

function message(uid: number, flags: string[] = [], blobHash = hash(uid)): MessageRecord {
  return { uid, flags, internalDate: new Date(Date.UTC(2026, 0, uid)), size: 100 + uid, blobHash };
}

function reusable(name: string, m: MessageRecord, uidValidity = 7): ReusableMessage {
  return { folder: name, uidValidity, uid: m.uid, size: m.size, internalDate: m.internalDate.getTime(), blobHash: m.blobHash };
}

async function addBlobsFor(catalog: Catalog, account: string, capture: Capture, messages: MessageRecord[], header?: (m: MessageRecord) => Buffer | undefined): Promise<void> {
  const fresh = [];
  for (const m of messages) if (!(await catalog.hasBlob(account, m.blobHash))) fresh.push(m);
  const unique = [...new Map(fresh.map((m) => [m.blobHash, m])).values()];
  await catalog.addBlobs(account, unique.map((m) => ({ blob: { hash: m.blobHash, size: m.size, storedBytes: m.size - 10 }, structure: STRUCTURE, header: header?.(m) })), capture);
}

/** One complete capture of the folders given, committed unless told otherwise. */
async function capture(catalog: Catalog, account: string, day: string, folders: Record<string, MessageRecord[]>, commit = true): Promise<Capture> {
  const { capture: started } = await catalog.startCapture(account, day);
  for (const [name, messages] of Object.entries(folders)) {
    await addBlobsFor(catalog, account, started, messages);
    await catalog.recordFolder(started, folder(name, messages), messages);
  }
  if (commit) await catalog.commitCapture(started);
  return started;
}

async function seqOf(catalog: Catalog, account: string, day: string): Promise<number> {
  const seq = await catalog.captureForDay(account, day);
  if (seq === null) throw new Error(`no capture for ${day}`);
  return seq;
}

/**
 * A catalog under test, and how many folder and message version rows have been inserted, updated
 * or deleted in it so far: counted by the database itself (a trigger per row), so an UPDATE that
 * rewrites a row with the value it had counts too.
 */
export interface FreshCatalog extends Fresh<Catalog> {
  rowWrites(): Promise<number>;
}

const shape = (messages: MessageRecord[]) => messages.map((m) => ({ uid: m.uid, flags: [...m.flags].sort(), internalDate: m.internalDate.getTime(), size: m.size, blobHash: m.blobHash }));

export function catalogContract(name: string, makeCatalog: () => Promise<FreshCatalog>): void {
  const each = <R>(body: (catalog: Catalog) => Promise<R>) => withFresh(makeCatalog, body);
  /** Like each, with the row-write counter: `writes(work)` is the number of rows `work` wrote. */
  const eachCounting = async <R>(body: (catalog: Catalog, writes: (work: () => Promise<unknown>) => Promise<number>) => Promise<R>): Promise<R> => {
    const fresh = await makeCatalog();
    try {
      return await body(fresh.subject, async (work) => {
        const before = await fresh.rowWrites();
        await work();
        return (await fresh.rowWrites()) - before;
      });
    } finally {
      await fresh.cleanup();
    }
  };
  const dayContent = async (catalog: Catalog, account: string, seq: number) => {
    const content: Record<string, ReturnType<typeof shape>> = {};
    for (const f of await catalog.folders(account, seq)) content[`${f.name}:${f.uidValidity}:${f.messages}`] = shape(await catalog.messages(account, seq, f.name, f.uidValidity));
    return content;
  };
  const expected = (folders: Record<string, MessageRecord[]>) =>
    Object.fromEntries(Object.entries(folders).sort(([x], [y]) => (x < y ? -1 : 1)).map(([f, messages]) => [`${f}:7:${messages.length}`, shape(messages)]));
  const A = 'contract-ann';
  const B = 'contract-bob';

  describe(`Catalog contract: ${name}`, () => {
    test('a fresh catalog is empty', () =>
      each(async (catalog) => {
        expect(await catalog.accounts()).toEqual([]);
        expect(await catalog.days(A)).toEqual([]);
        expect(await catalog.captureForDay(A, '2026-05-01')).toBeNull();
        expect(await catalog.folders(A, 1)).toEqual([]);
        expect(await catalog.messages(A, 1, 'INBOX', 7)).toEqual([]);
        expect(await catalog.hasBlob(A, hash(1))).toBe(false);
        expect(await catalog.blobStructure(A, hash(1))).toBeNull();
        expect((await catalog.blobHeaders(A, [hash(1)])).size).toBe(0);
        expect(await catalog.referencedBlobs(A)).toEqual([]);
        expect(await catalog.dropDays(A, ['2026-05-01'])).toEqual([]);
        expect(await catalog.collectGarbage(A)).toEqual([]);
      }));

    test('versioned rows: each day reads back exactly as it was recorded, however many days share a row', () =>
      each(async (catalog) => {
        const steady = [message(1), message(2, ['\\Seen']), message(3)];
        for (let d = 1; d <= 5; d++) await capture(catalog, A, `2026-05-0${d}`, { INBOX: steady, 'Archiv/2026': [message(10)] });
        // Day 6: message 2 loses \Seen, message 3 is gone, message 4 arrives with new flags.
        const changed = [message(1), message(2), message(4, ['$Label1', '\\Flagged'])];
        await capture(catalog, A, '2026-05-06', { INBOX: changed, 'Archiv/2026': [message(10)] });
        expect(await catalog.accounts()).toEqual([A]);
        const days = await catalog.days(A);
        expect(days.map((d) => [d.day, d.folders, d.messages])).toEqual([
          ...[1, 2, 3, 4, 5].map((d) => [`2026-05-0${d}`, 2, 4]),
          ['2026-05-06', 2, 4],
        ]);
        expect(days[0].bytes).toBe([...steady, message(10)].reduce((n, m) => n + m.size, 0));
        expect(new Set(days.map((d) => d.seq)).size).toBe(6);
        for (const day of days) expect(await catalog.captureForDay(A, day.day)).toBe(day.seq);
        for (let d = 1; d <= 5; d++) expect(shape(await catalog.messages(A, await seqOf(catalog, A, `2026-05-0${d}`), 'INBOX', 7))).toEqual(shape(steady));
        const seq6 = await seqOf(catalog, A, '2026-05-06');
        expect(shape(await catalog.messages(A, seq6, 'INBOX', 7))).toEqual(shape(changed));
        expect((await catalog.folders(A, seq6)).map((f) => [f.name, f.messages, f.uidValidity, f.delimiter, f.subscribed])).toEqual([
          ['Archiv/2026', 1, 7, '/', true],
          ['INBOX', 3, 7, '/', true],
        ]);
        expect((await catalog.reusableMessages(A, seq6)).sort((x, y) => x.uid - y.uid)).toEqual(
          [reusable('INBOX', changed[0]), reusable('INBOX', changed[1]), reusable('INBOX', changed[2]), reusable('Archiv/2026', message(10))].sort((x, y) => x.uid - y.uid),
        );
        // A folder's other uidValidity is another folder.
        expect(await catalog.messages(A, seq6, 'INBOX', 8)).toEqual([]);
      }));

    test('folder attributes are versioned too', () =>
      each(async (catalog) => {
        const messages = [message(1)];
        const { capture: first } = await catalog.startCapture(A, '2026-05-01');
        await addBlobsFor(catalog, A, first, messages);
        await catalog.recordFolder(first, { ...folder('Sent', messages), specialUse: '\\Sent', highestModseq: 12, subscribed: false, delimiter: '.' }, messages);
        await catalog.commitCapture(first);
        const { capture: second } = await catalog.startCapture(A, '2026-05-02');
        await catalog.recordFolder(second, { ...folder('Sent', messages), specialUse: '\\Sent', highestModseq: 13, subscribed: true, delimiter: '.' }, messages);
        await catalog.commitCapture(second);
        const [one] = await catalog.folders(A, first.seq);
        const [two] = await catalog.folders(A, second.seq);
        expect([one.specialUse, one.highestModseq, one.subscribed, one.delimiter]).toEqual(['\\Sent', 12, false, '.']);
        expect([two.specialUse, two.highestModseq, two.subscribed, two.delimiter]).toEqual(['\\Sent', 13, true, '.']);
      }));

    test('carrying a folder forward keeps its messages and attributes for the new day', () =>
      each(async (catalog) => {
        const messages = [message(1, ['\\Seen']), message(2)];
        const first = await capture(catalog, A, '2026-05-01', { INBOX: messages, Other: [message(5)] });
        const { capture: second } = await catalog.startCapture(A, '2026-05-02');
        expect(second.previousSeq).toBe(first.seq);
        await catalog.carryFolderForward(second, 'INBOX', 7);
        await catalog.commitCapture(second);
        expect(shape(await catalog.messages(A, second.seq, 'INBOX', 7))).toEqual(shape(messages));
        // A folder neither recorded nor carried is not part of the new day.
        expect((await catalog.folders(A, second.seq)).map((f) => f.name)).toEqual(['INBOX']);
        expect((await catalog.folders(A, first.seq)).map((f) => f.name)).toEqual(['INBOX', 'Other']);
      }));

    test('a capture is invisible until committed; abandoning it leaves the earlier days as they were', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-05-01', { INBOX: [message(1), message(2)] });
        const running = await capture(catalog, A, '2026-05-02', { INBOX: [message(1), message(3)] }, false);
        expect((await catalog.days(A)).map((d) => d.day)).toEqual(['2026-05-01']);
        expect(await catalog.captureForDay(A, '2026-05-02')).toBeNull();
        await catalog.abandonCapture(running);
        expect(shape(await catalog.messages(A, await seqOf(catalog, A, '2026-05-01'), 'INBOX', 7))).toEqual(shape([message(1), message(2)]));
        expect(await catalog.collectGarbage(A)).toEqual([hash(3)]);
        expect(await catalog.hasBlob(A, hash(3))).toBe(false);
        await expect(catalog.commitCapture(running)).rejects.toThrow();
      }));

    test('an unchanged night writes one row per folder, not per message, and every day serves the same messages', () =>
      eachCounting(async (catalog, writes) => {
        const inbox = Array.from({ length: 60 }, (_, i) => message(i + 1, i % 3 === 0 ? ['\\Seen'] : []));
        const sent = Array.from({ length: 25 }, (_, i) => message(100 + i));
        const folders = { INBOX: inbox, Sent: sent };
        await capture(catalog, A, '2026-05-01', folders);
        // Recorded again in full (no CONDSTORE), then carried forward: neither touches a message row.
        expect(await writes(() => capture(catalog, A, '2026-05-02', folders))).toBeLessThanOrEqual(2);
        expect(await writes(async () => {
          const { capture: third } = await catalog.startCapture(A, '2026-05-03');
          await catalog.carryFolderForward(third, 'INBOX', 7);
          await catalog.carryFolderForward(third, 'Sent', 7);
          await catalog.commitCapture(third);
        })).toBeLessThanOrEqual(2);
        for (const day of ['2026-05-01', '2026-05-02', '2026-05-03']) expect(await dayContent(catalog, A, await seqOf(catalog, A, day))).toEqual(expected(folders));
        // A night with changes writes what changed: a flag (close + new row), an arrival, a deletion, and the folder row.
        const changed = [message(1), ...inbox.slice(1, 59), message(61)];
        expect(await writes(() => capture(catalog, A, '2026-05-04', { INBOX: changed, Sent: sent }))).toBeLessThanOrEqual(2 + 2 + 1 + 1 + 1);
        expect(await dayContent(catalog, A, await seqOf(catalog, A, '2026-05-04'))).toEqual(expected({ INBOX: changed, Sent: sent }));
        expect(await dayContent(catalog, A, await seqOf(catalog, A, '2026-05-03'))).toEqual(expected(folders));
      }));

    test('a folder deleted upstream leaves the new day and stays in the old; recreated, it is back only from then on', () =>
      each(async (catalog) => {
        const old = [message(5), message(6, ['\\Seen'])];
        const first = await capture(catalog, A, '2026-05-01', { INBOX: [message(1)], Old: old });
        const second = await capture(catalog, A, '2026-05-02', { INBOX: [message(1)] });
        expect(await dayContent(catalog, A, second.seq)).toEqual(expected({ INBOX: [message(1)] }));
        expect(await catalog.messages(A, second.seq, 'Old', 7)).toEqual([]);
        expect((await catalog.days(A)).map((d) => [d.day, d.folders, d.messages])).toEqual([['2026-05-01', 2, 3], ['2026-05-02', 1, 1]]);
        // Carried forward after the deletion: still gone (the capture only carries what is open).
        const { capture: third } = await catalog.startCapture(A, '2026-05-03');
        await catalog.carryFolderForward(third, 'INBOX', 7);
        await catalog.carryFolderForward(third, 'Old', 7);
        await catalog.commitCapture(third);
        expect(await dayContent(catalog, A, third.seq)).toEqual(expected({ INBOX: [message(1)] }));
        const fourth = await capture(catalog, A, '2026-05-04', { INBOX: [message(1)], Old: old });
        expect(await dayContent(catalog, A, fourth.seq)).toEqual(expected({ INBOX: [message(1)], Old: old }));
        expect(await dayContent(catalog, A, first.seq)).toEqual(expected({ INBOX: [message(1)], Old: old }));
        expect(await dayContent(catalog, A, third.seq)).toEqual(expected({ INBOX: [message(1)] }));
      }));

    test('an interrupted capture that closed and replaced rows is rolled back exactly, by the next run or by abandoning it', () =>
      eachCounting(async (catalog, writes) => {
        const day1 = { INBOX: [message(1), message(2), message(3, ['\\Seen'])], Other: [message(5)], Gone: [message(8)] };
        const first = await capture(catalog, A, '2026-05-01', day1);
        for (const end of ['next run', 'abandon'] as const) {
          // Changes INBOX (a flag, a deletion, an arrival) and Other's folder row, then dies before commit.
          const { capture: dead } = await catalog.startCapture(A, '2026-05-02');
          const inbox = [message(1, ['\\Flagged']), message(3, ['\\Seen']), message(4)];
          await addBlobsFor(catalog, A, dead, inbox);
          // Recorded twice (a retry): the second recording replaces rows the capture itself started.
          await catalog.recordFolder(dead, folder('INBOX', inbox.slice(0, 1)), inbox.slice(0, 1));
          await catalog.recordFolder(dead, folder('INBOX', inbox), inbox);
          await catalog.recordFolder(dead, { ...folder('Other', [message(5)]), uidNext: 99 }, [message(5)]);
          expect(await dayContent(catalog, A, first.seq)).toEqual(expected(day1));
          if (end === 'abandon') await catalog.abandonCapture(dead);
          const { capture: next } = await catalog.startCapture(A, '2026-05-02');
          expect(next.previousSeq).toBe(first.seq);
          expect(await dayContent(catalog, A, first.seq)).toEqual(expected(day1));
          // The rows are open again as before: carrying everything forward writes one row per folder.
          expect(await writes(async () => {
            for (const name of Object.keys(day1)) await catalog.carryFolderForward(next, name, 7);
          })).toBe(3);
          await catalog.abandonCapture(next);
        }
        const { capture: last } = await catalog.startCapture(A, '2026-05-02');
        for (const name of Object.keys(day1)) await catalog.carryFolderForward(last, name, 7);
        await catalog.commitCapture(last);
        expect(await dayContent(catalog, A, last.seq)).toEqual(expected(day1));
        expect(await catalog.collectGarbage(A)).toEqual([hash(4)]);
      }));

    test('retention with open rows: dropping old days, the latest day, or all of them, then collecting garbage', () =>
      each(async (catalog) => {
        const day1 = { INBOX: [message(1), message(2)], Old: [message(9)] };
        const day2 = { INBOX: [message(2, ['\\Seen']), message(3)] };
        const day3 = { INBOX: [message(2, ['\\Seen']), message(3), message(4)], New: [message(6)] };
        await capture(catalog, A, '2026-05-01', day1);
        await capture(catalog, A, '2026-05-02', day2);
        await capture(catalog, A, '2026-05-03', day3);
        expect(await catalog.dropDays(A, ['2026-05-01'])).toEqual(['2026-05-01']);
        expect((await catalog.collectGarbage(A)).sort()).toEqual([hash(1), hash(9)].sort());
        expect(await dayContent(catalog, A, await seqOf(catalog, A, '2026-05-02'))).toEqual(expected(day2));
        expect(await dayContent(catalog, A, await seqOf(catalog, A, '2026-05-03'))).toEqual(expected(day3));
        // The latest day goes: the next capture builds on day 2, as if day 3 had never been taken.
        expect(await catalog.dropDays(A, ['2026-05-03'])).toEqual(['2026-05-03']);
        const { capture: fourth } = await catalog.startCapture(A, '2026-05-04');
        expect(fourth.previousSeq).toBe(await seqOf(catalog, A, '2026-05-02'));
        await catalog.carryFolderForward(fourth, 'INBOX', 7);
        await catalog.carryFolderForward(fourth, 'New', 7);
        await catalog.commitCapture(fourth);
        expect(await dayContent(catalog, A, fourth.seq)).toEqual(expected(day2));
        expect((await catalog.collectGarbage(A)).sort()).toEqual([hash(4), hash(6)].sort());
        expect(await dayContent(catalog, A, await seqOf(catalog, A, '2026-05-02'))).toEqual(expected(day2));
        // Everything goes; the next capture starts from nothing and sees nothing of the old rows.
        expect((await catalog.dropDays(A, ['2026-05-02', '2026-05-04'])).sort()).toEqual(['2026-05-02', '2026-05-04']);
        const { capture: fresh } = await catalog.startCapture(A, '2026-05-05');
        expect(fresh.previousSeq).toBeNull();
        await catalog.carryFolderForward(fresh, 'INBOX', 7);
        await catalog.recordFolder(fresh, folder('Other', [message(2)]), [message(2)]);
        await catalog.commitCapture(fresh);
        expect(await dayContent(catalog, A, fresh.seq)).toEqual(expected({ Other: [message(2)] }));
        expect(await catalog.collectGarbage(A)).toEqual([hash(3)]);
        expect((await catalog.referencedBlobs(A)).map((b) => b.hash)).toEqual([hash(2)]);
      }));

    test('taking a day again with open rows: the superseded capture stays readable until collected, the next day builds on the newer one', () =>
      each(async (catalog) => {
        const day1 = { INBOX: [message(1), message(2)] };
        const morning = { INBOX: [message(1), message(3)], Work: [message(7)] };
        const evening = { INBOX: [message(1, ['\\Seen']), message(3), message(4)] };
        const first = await capture(catalog, A, '2026-05-01', day1);
        const early = await capture(catalog, A, '2026-05-02', morning);
        const late = await capture(catalog, A, '2026-05-02', evening);
        expect(late.previousSeq).toBe(early.seq);
        expect(await catalog.captureForDay(A, '2026-05-02')).toBe(late.seq);
        expect(await dayContent(catalog, A, early.seq)).toEqual(expected(morning));
        expect(await dayContent(catalog, A, late.seq)).toEqual(expected(evening));
        const { capture: third } = await catalog.startCapture(A, '2026-05-03');
        expect(third.previousSeq).toBe(late.seq);
        await catalog.carryFolderForward(third, 'INBOX', 7);
        await catalog.carryFolderForward(third, 'Work', 7);
        await catalog.commitCapture(third);
        expect(await dayContent(catalog, A, third.seq)).toEqual(expected(evening));
        expect(await catalog.collectGarbage(A)).toEqual([hash(7)]);
        expect(await dayContent(catalog, A, first.seq)).toEqual(expected(day1));
        expect(await dayContent(catalog, A, late.seq)).toEqual(expected(evening));
      }));

    test('taking a day again supersedes it: one entry, the newer content', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-05-01', { INBOX: [message(1)] });
        const again = await capture(catalog, A, '2026-05-01', { INBOX: [message(1), message(2)] });
        expect((await catalog.days(A)).map((d) => [d.day, d.messages, d.seq])).toEqual([['2026-05-01', 2, again.seq]]);
        expect(await catalog.captureForDay(A, '2026-05-01')).toBe(again.seq);
      }));

    test('salvage: the next capture gets back what an interrupted one fetched and finished, and rolls the rest back', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-04-01', { INBOX: [message(1)] });
        const committed = await seqOf(catalog, A, '2026-04-01');
        // A run finishes one folder, notes two fetched bodies of another, and dies (never commits).
        const { capture: dead } = await catalog.startCapture(A, '2026-04-02');
        await addBlobsFor(catalog, A, dead, [message(2)]);
        await catalog.recordFolder(dead, folder('Done', [message(2)]), [message(2)]);
        await catalog.recordFetched(dead, reusable('Half', message(3)));
        await addBlobsFor(catalog, A, dead, [message(3)]);
        await catalog.recordFetched(dead, reusable('Half', message(4)));
        const { capture: next, salvaged } = await catalog.startCapture(A, '2026-04-02');
        expect(next.previousSeq).toBe(committed);
        expect(next.seq).not.toBe(dead.seq);
        expect(salvaged.map((m) => [m.folder, m.uid, m.blobHash]).sort()).toEqual([
          ['Done', 2, hash(2)],
          ['Half', 3, hash(3)],
          ['Half', 4, hash(4)],
        ]);
        // Nothing of the dead run is visible, and while the new run goes on its blobs are in use.
        expect((await catalog.days(A)).map((d) => d.day)).toEqual(['2026-04-01']);
        expect(await catalog.collectGarbage(A)).toEqual([]);
        expect(await catalog.hasBlob(A, hash(3))).toBe(true);
        await catalog.recordFolder(next, folder('INBOX', [message(1), message(3)]), [message(1), message(3)]);
        await catalog.commitCapture(next);
        await expect(catalog.commitCapture(dead)).rejects.toThrow();
        expect((await catalog.referencedBlobs(A)).map((b) => b.hash).sort()).toEqual([hash(1), hash(3)].sort());
        // Committed: nothing is salvaged any more.
        const { capture: after, salvaged: none } = await catalog.startCapture(A, '2026-04-03');
        expect(none).toEqual([]);
        await catalog.abandonCapture(after);
      }));

    test('bodies noted with recordFetched survive failed captures until a prune with no run gives them up', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-04-01', { INBOX: [message(1)] });
        const { capture: first } = await catalog.startCapture(A, '2026-04-02');
        await catalog.recordFetched(first, reusable('INBOX', message(2)));
        await addBlobsFor(catalog, A, first, [message(2)]);
        await catalog.recordFetched(first, reusable('INBOX', message(3)));
        await catalog.abandonCapture(first);
        const { capture: second, salvaged } = await catalog.startCapture(A, '2026-04-02');
        expect(salvaged.map((m) => m.uid).sort()).toEqual([2, 3]);
        await catalog.abandonCapture(second);
        expect((await catalog.collectGarbage(A)).sort()).toEqual([hash(2), hash(3)].sort());
        const { capture: third, salvaged: none } = await catalog.startCapture(A, '2026-04-03');
        expect(none).toEqual([]);
        await catalog.abandonCapture(third);
      }));

    test('dropDays and collectGarbage: expired days go; the day a running capture builds on stays until it is done', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-05-01', { INBOX: [message(1), message(2)] });
        await capture(catalog, A, '2026-05-02', { INBOX: [message(2), message(3)] });
        const { capture: running } = await catalog.startCapture(A, '2026-05-03');
        expect(await catalog.dropDays(A, ['2026-05-01', '2026-05-02'])).toEqual(['2026-05-01']);
        expect(await catalog.collectGarbage(A)).toEqual([hash(1)]);
        expect(await catalog.hasBlob(A, hash(1))).toBe(false);
        await catalog.carryFolderForward(running, 'INBOX', 7);
        await catalog.commitCapture(running);
        expect((await catalog.messages(A, running.seq, 'INBOX', 7)).map((m) => m.uid)).toEqual([2, 3]);
        expect(await catalog.dropDays(A, ['2026-05-02'])).toEqual(['2026-05-02']);
        expect(await catalog.collectGarbage(A)).toEqual([]);
        expect((await catalog.days(A)).map((d) => d.day)).toEqual(['2026-05-03']);
        expect((await catalog.referencedBlobs(A)).map((b) => [b.hash, b.size, b.storedBytes]).sort()).toEqual(
          [[hash(2), 102, 92], [hash(3), 103, 93]].sort(),
        );
        expect(await catalog.dropDays(A, ['2026-04-01'])).toEqual([]);
      }));

    test('blob records: structure and header blocks come back per account; blobs added without a header are left out', () =>
      each(async (catalog) => {
        const structure = { contentType: 'multipart/mixed', parts: [{ contentType: 'text/plain' }], headerLength: 31 } as unknown as MessageStructure;
        const { capture: started } = await catalog.startCapture(A, '2026-05-01');
        const header = Buffer.from('Subject: =?UTF-8?B?w6TDtsO8?=\r\n\r\n', 'latin1');
        const binary = Buffer.from([0, 255, 13, 10, 13, 10]);
        await catalog.addBlobs(A, [
          { blob: { hash: hash(1), size: 101, storedBytes: 90 }, structure, header },
          { blob: { hash: hash(2), size: 102, storedBytes: 91 }, structure: STRUCTURE },
          { blob: { hash: hash(3), size: 103, storedBytes: 92 }, structure: STRUCTURE, header: binary },
        ], started);
        // Adding a known hash again is skipped, not an error, and changes nothing.
        await catalog.addBlobs(A, [{ blob: { hash: hash(1), size: 101, storedBytes: 90 }, structure: STRUCTURE }], started);
        expect(await catalog.blobStructure(A, hash(1))).toEqual(structure);
        const headers = await catalog.blobHeaders(A, [hash(1), hash(2), hash(3), hash(4)]);
        expect([...headers.keys()].sort()).toEqual([hash(1), hash(3)].sort());
        expect(headers.get(hash(1))!.equals(header)).toBe(true);
        expect(headers.get(hash(3))!.equals(binary)).toBe(true);
        expect((await catalog.blobHeaders(A, [])).size).toBe(0);
        expect((await catalog.blobHeaders(B, [hash(1)])).size).toBe(0);
        expect(await catalog.blobStructure(B, hash(1))).toBeNull();
        expect(await catalog.hasBlob(B, hash(1))).toBe(false);
        await catalog.abandonCapture(started);
      }));

    test('search index: candidates are the indexed blobs holding the needle and every blob not indexed (or of another version)', () =>
      each(async (catalog) => {
        expect(catalog.searchIndex).toBe(true);
        const texts: Record<number, string> = {
          1: 'SUBJECT: HELLO WORLD\r\n\r\nCAFÉ AU LAIT 100% _UNDER_ "QUOTED"',
          2: 'SUBJECT: GOODBYE\r\n\r\nNOTHING TO SEE \\ HERE 𝄞 MUSIC',
          3: 'SUBJECT: HELLO AGAIN\r\n\r\nWORLDS APART',
        };
        const { capture: started } = await catalog.startCapture(A, '2026-05-01');
        const messages = [message(1), message(2), message(3), message(4), message(5)];
        await catalog.addBlobs(A, [1, 2, 3].map((n) => ({ blob: { hash: hash(n), size: 100, storedBytes: 90 }, structure: STRUCTURE, searchText: { text: texts[n], version: 7 } })), started);
        // 4 is stored without text (the index was off, or the text too long); 5 under an older version.
        await catalog.addBlobs(A, [
          { blob: { hash: hash(4), size: 100, storedBytes: 90 }, structure: STRUCTURE },
          { blob: { hash: hash(5), size: 100, storedBytes: 90 }, structure: STRUCTURE, searchText: { text: 'HELLO', version: 6 } },
        ], started);
        await catalog.recordFolder(started, folder('INBOX', messages), messages);
        await catalog.commitCapture(started);
        const all = messages.map((m) => m.blobHash);
        const candidates = async (needle: string, hashes = all, account = A) => {
          const found = await catalog.textCandidates(account, hashes, needle, 7);
          return found && [...found].sort();
        };
        const unindexed = [hash(4), hash(5)];
        expect(await candidates('HELLO')).toEqual([hash(1), hash(3), ...unindexed].sort());
        expect(await candidates('LO WOR')).toEqual([hash(1), ...unindexed].sort());
        expect(await candidates('\r\n\r\nCAF')).toEqual([hash(1), ...unindexed].sort());
        expect(await candidates('CAFÉ')).toEqual([hash(1), ...unindexed].sort());
        // Characters LIKE, FTS5 queries and regular expressions treat specially are plain text here.
        for (const needle of ['100%', '_UNDER_', '"QUOTED"', '\\ HERE', '𝄞 M']) expect(await candidates(needle)).toEqual(expect.arrayContaining(unindexed));
        expect(await candidates('100%')).toEqual([hash(1), ...unindexed].sort());
        expect(await candidates('0%_')).toEqual(unindexed.sort());
        expect(await candidates('_UNDER_')).toEqual([hash(1), ...unindexed].sort());
        expect(await candidates('"QUOTED"')).toEqual([hash(1), ...unindexed].sort());
        expect(await candidates('\\ HERE')).toEqual([hash(2), ...unindexed].sort());
        expect(await candidates('𝄞 M')).toEqual([hash(2), ...unindexed].sort());
        // The needle must hold exactly: case and accents are the caller's to fold.
        expect(await candidates('hello')).toEqual(unindexed.sort());
        expect(await candidates('CAFE')).toEqual(unindexed.sort());
        expect(await candidates('NOWHERE AT ALL')).toEqual(unindexed.sort());
        // Only the hashes asked about come back.
        expect(await candidates('HELLO', [hash(3), hash(2)])).toEqual([hash(3)]);
        // Too short for trigrams: the index cannot answer.
        expect(await catalog.textCandidates(A, all, 'HE', 7)).toBeNull();
        expect(await catalog.textCandidates(A, all, '𝄞M', 7)).toBeNull();
        // Another account's index is not this one's.
        expect(await candidates('HELLO', all, B)).toBeNull();
        await capture(catalog, B, '2026-05-01', { INBOX: [message(1)] });
        expect(await candidates('HELLO', [hash(1)], B)).toEqual([hash(1)]);
        expect(await candidates('NOWHERE', [hash(1)], B)).toEqual([hash(1)]);
        // Indexing again under a new version replaces the old text.
        const { capture: again } = await catalog.startCapture(A, '2026-05-02');
        await catalog.addBlobs(A, [{ blob: { hash: hash(5), size: 100, storedBytes: 90 }, structure: STRUCTURE, searchText: { text: 'BRAND NEW', version: 7 } }], again);
        await catalog.carryFolderForward(again, 'INBOX', 7);
        await catalog.commitCapture(again);
        expect(await candidates('HELLO')).toEqual([hash(1), hash(3), hash(4)].sort());
        expect(await candidates('BRAND')).toEqual([hash(4), hash(5)].sort());
      }));

    test('search index: collectGarbage drops the index rows of the blobs it frees; a blob stored again is indexed anew', () =>
      each(async (catalog) => {
        const withText = (n: number, text: string) => ({ blob: { hash: hash(n), size: 100, storedBytes: 90 }, structure: STRUCTURE, searchText: { text, version: 1 } });
        const { capture: first } = await catalog.startCapture(A, '2026-05-01');
        await catalog.addBlobs(A, [withText(1, 'GONE TOMORROW'), withText(2, 'STAYS HERE')], first);
        await catalog.recordFolder(first, folder('INBOX', [message(1), message(2)]), [message(1), message(2)]);
        await catalog.commitCapture(first);
        await capture(catalog, A, '2026-05-02', { INBOX: [message(2)] });
        expect(await catalog.dropDays(A, ['2026-05-01'])).toEqual(['2026-05-01']);
        expect(await catalog.collectGarbage(A)).toEqual([hash(1)]);
        // Not indexed any more (its rows are gone): a candidate of every search, until stored again.
        expect([...(await catalog.textCandidates(A, [hash(1), hash(2)], 'STAYS', 1))!].sort()).toEqual([hash(1), hash(2)].sort());
        expect([...(await catalog.textCandidates(A, [hash(1), hash(2)], 'TOMORROW', 1))!]).toEqual([hash(1)]);
        const { capture: back } = await catalog.startCapture(A, '2026-05-03');
        await catalog.addBlobs(A, [withText(1, 'BACK AGAIN')], back);
        await catalog.recordFolder(back, folder('INBOX', [message(1), message(2)]), [message(1), message(2)]);
        await catalog.commitCapture(back);
        expect([...(await catalog.textCandidates(A, [hash(1), hash(2)], 'TOMORROW', 1))!]).toEqual([]);
        expect([...(await catalog.textCandidates(A, [hash(1), hash(2)], 'BACK', 1))!]).toEqual([hash(1)]);
      }));

    test('search index: generated texts and needles — every blob holding the needle is a candidate, and none lacking one of its trigrams', () =>
      each(async (catalog) => {
        const character = fc.oneof(
          { weight: 6, arbitrary: fc.constantFrom('A', 'B', 'C', ' ', '\r', '\n') },
          { weight: 2, arbitrary: fc.constantFrom('%', '_', '\\', '"', "'", '*', '(', '^', '-', ':', '\0', 'É', 'ß', 'İ', '\u0301', '𝄞', '中', '\uFFFD') },
        );
        const text = fc.array(character, { maxLength: 40 }).map((chars) => chars.join(''));
        let round = 0;
        await fc.assert(
          fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 6 }), fc.array(character, { minLength: 3, maxLength: 6 }), async (texts, needleChars) => {
            round += 1;
            const account = `generated-${round}`;
            const needle = needleChars.join('');
            fc.pre(!needle.includes('\0'));
            const hashes = texts.map((_, index) => hashOf(`${round}/${index}`));
            const { capture: started } = await catalog.startCapture(account, '2026-05-01');
            await catalog.addBlobs(account, texts.map((content, index) => ({ blob: { hash: hashes[index], size: 1, storedBytes: 1 }, structure: STRUCTURE, searchText: { text: content, version: 1 } })), started);
            const found = await catalog.textCandidates(account, hashes, needle, 1);
            await catalog.abandonCapture(started);
            expect(found).not.toBeNull();
            // A catalog may let through texts with every trigram of the needle (an index of trigrams
            // without their positions); one that lacks a trigram must be ruled out, or the index is useless.
            const characters = [...needle];
            const trigrams = characters.slice(2).map((_, at) => characters.slice(at, at + 3).join(''));
            for (const [index, content] of texts.entries()) {
              if (content.includes(needle)) expect(found!.has(hashes[index])).toBe(true);
              else if (!content.includes('\0') && trigrams.some((trigram) => !content.includes(trigram))) expect(found!.has(hashes[index])).toBe(false);
            }
          }),
          { numRuns: 60 },
        );
      }));

    test('accounts are isolated: the same hashes and days in two accounts, and retention of one leaves the other', () =>
      each(async (catalog) => {
        await capture(catalog, A, '2026-05-01', { INBOX: [message(1), message(2)] });
        await capture(catalog, B, '2026-05-01', { INBOX: [message(1)] });
        await capture(catalog, B, '2026-05-02', { INBOX: [message(2)] });
        expect(await catalog.accounts()).toEqual([A, B]);
        expect(await catalog.dropDays(A, ['2026-05-01'])).toEqual(['2026-05-01']);
        expect((await catalog.collectGarbage(A)).sort()).toEqual([hash(1), hash(2)].sort());
        expect(await catalog.days(A)).toEqual([]);
        expect((await catalog.days(B)).map((d) => d.day)).toEqual(['2026-05-01', '2026-05-02']);
        expect(await catalog.hasBlob(B, hash(1))).toBe(true);
        expect((await catalog.referencedBlobs(B)).map((b) => b.hash).sort()).toEqual([hash(1), hash(2)].sort());
        expect(shape(await catalog.messages(B, await seqOf(catalog, B, '2026-05-01'), 'INBOX', 7))).toEqual(shape([message(1)]));
      }));

    test('generated histories: every committed day reads back as recorded; retention frees exactly the blobs no kept day references', () =>
      each(async (catalog) => {
        const FOLDERS = ['INBOX', 'Entwürfe', 'a/b.c', '日本語 📁'];
        const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Label1', 'Junk'];
        const dayArb = fc.record({
          advance: fc.boolean(),
          commit: fc.constantFrom('commit', 'commit', 'commit', 'abandon'),
          folders: fc.dictionary(
            fc.constantFrom(...FOLDERS),
            fc.uniqueArray(fc.record({ uid: fc.integer({ min: 1, max: 12 }), variant: fc.integer({ min: 0, max: 1 }), flags: fc.subarray(FLAGS) }), { selector: (m) => m.uid, maxLength: 8 }),
            { maxKeys: 3 },
          ),
        });
        const accountArb = fc.string({ minLength: 1, maxLength: 12 }).map((s) => `gen ${s}`);
        let run = 0;
        await fc.assert(
          fc.asyncProperty(accountArb, fc.array(dayArb, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), async (base, history, dropMask) => {
            const account = `${base}#${run++}`;
            const model = new Map<string, Record<string, MessageRecord[]>>();
            const added = new Set<string>();
            let dayIndex = 1;
            let previous: Record<string, MessageRecord[]> | null = null;
            for (const step of history) {
              if (step.advance) dayIndex += 1;
              const label = `2026-06-${String(dayIndex).padStart(2, '0')}`;
              const folders: Record<string, MessageRecord[]> = {};
              for (const [name, messages] of Object.entries(step.folders)) {
                folders[name] = messages.map((m) => message(m.uid, m.flags, hashOf(`${name}/${m.uid}/${m.variant}`))).sort((x, y) => x.uid - y.uid);
              }
              const { capture: started } = await catalog.startCapture(account, label);
              for (const [name, messages] of Object.entries(folders)) {
                await addBlobsFor(catalog, account, started, messages);
                messages.forEach((m) => added.add(m.blobHash));
                const same = previous?.[name] && JSON.stringify(shape(previous[name])) === JSON.stringify(shape(messages));
                if (same) await catalog.carryFolderForward(started, name, 7);
                else await catalog.recordFolder(started, folder(name, messages), messages);
              }
              if (step.commit === 'commit') {
                await catalog.commitCapture(started);
                model.set(label, folders);
                previous = folders;
              } else await catalog.abandonCapture(started);
            }
            const check = async () => {
              const days = await catalog.days(account);
              expect(days.map((d) => d.day)).toEqual([...model.keys()].sort());
              for (const day of days) {
                const expected = model.get(day.day)!;
                expect(day.messages).toBe(Object.values(expected).reduce((n, list) => n + list.length, 0));
                expect((await catalog.folders(account, day.seq)).map((f) => f.name)).toEqual(Object.keys(expected).sort());
                for (const [name, messages] of Object.entries(expected)) expect(shape(await catalog.messages(account, day.seq, name, 7))).toEqual(shape(messages));
              }
            };
            await check();
            const labels = [...model.keys()].sort();
            const drop = labels.filter((_, i) => dropMask[i % dropMask.length]);
            expect((await catalog.dropDays(account, drop)).sort()).toEqual(drop);
            drop.forEach((label) => model.delete(label));
            const kept = new Set([...model.values()].flatMap((folders) => Object.values(folders).flat().map((m) => m.blobHash)));
            const freed = await catalog.collectGarbage(account);
            expect([...freed].sort()).toEqual([...added].filter((h) => !kept.has(h)).sort());
            expect((await catalog.referencedBlobs(account)).map((b) => b.hash).sort()).toEqual([...kept].sort());
            for (const h of kept) expect(await catalog.hasBlob(account, h)).toBe(true);
            await check();
          }),
          { numRuns: 25 },
        );
      }));
  });
}
