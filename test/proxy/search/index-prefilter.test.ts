/**
 * The search index (issue 13) never changes an answer: SEARCH BODY/TEXT (alone, under AND, OR and
 * NOT) over hostile generated mail gives the same matches with the store's index as without it.
 * Messages are stored the way the snapshotter stores them (describeNewBlob: the search engine's own
 * decoder writes the index) in a real embedded store, and searched through the real view.
 */
import fc from 'fast-check';
import { runSearch, type SearchKey, type SearchProgram } from '../../../src/proxy/search/index.js';
import { searchableText } from '../../../src/proxy/search/message-content.js';
import type { OpenMailbox } from '../../../src/proxy/ports.js';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import { describeNewBlob } from '../../../src/snapshots/snapshotter/new-blob.js';
import type { MessageRecord, NewBlob } from '../../../src/snapshots/store/catalog.js';
import { StoreSnapshotView } from '../../../src/snapshots/view/snapshot-view.js';
import { hostileMessage, type HostileMessage } from '../../fixtures/hostile-mail.js';
import { openRealStore, type RealStore } from '../../snapshots/walk/real-store.js';

const DAY = '2026-11-01';
let real: RealStore;

beforeAll(async () => {
  real = await openRealStore();
});
afterAll(() => real.close());

/** The messages, stored and committed as INBOX of a fresh account; the folder as a session opens it. */
async function storeFolder(account: string, messages: HostileMessage[]): Promise<OpenMailbox> {
  const { store } = real;
  expect(store.catalog.searchIndex).toBe(true);
  const { capture } = await store.catalog.startCapture(account, DAY);
  const blobs: NewBlob[] = [];
  const records: MessageRecord[] = [];
  for (const [index, { raw }] of messages.entries()) {
    const stored = await store.blobs.put(account, raw);
    if (!blobs.some((blob) => blob.blob.hash === stored.hash)) blobs.push(await describeNewBlob(raw, stored, true));
    records.push({ uid: index + 1, flags: [], internalDate: new Date(Date.UTC(2026, 10, 1)), size: raw.length, blobHash: stored.hash });
  }
  await store.blobs.flush(account);
  await store.catalog.addBlobs(account, blobs, capture);
  const bytes = records.reduce((sum, record) => sum + record.size, 0);
  await store.catalog.recordFolder(capture, { name: 'INBOX', delimiter: '/', uidValidity: 1, uidNext: records.length + 1, highestModseq: null, subscribed: true, specialUse: null, messages: records.length, bytes }, records);
  await store.catalog.commitCapture(capture);
  const mailbox = await new StoreSnapshotView(store, account, null).openMailbox(`Snapshots/${DAY}/INBOX`);
  if (!mailbox) throw new Error('the stored folder does not open');
  return mailbox;
}

const program = (key: SearchKey): SearchProgram => ({ key, charset: 'UTF-8', uid: false, returnOptions: null });

/**
 * Needles a client might send: words of the messages (Unicode ones too, in other case), pieces of
 * the text SEARCH compares (across line ends and part boundaries), short ones the index cannot
 * answer, and some no message holds.
 */
async function needlesFor(messages: HostileMessage[], picks: Array<{ message: number; start: number; length: number; upper: boolean }>): Promise<string[]> {
  const needles = ['a', 'ab', 'zz', 'snapshot', 'Köln', 'KÖLN', 'caf\u0065\u0301', '日本語', 'no such words here', '%_\\"'];
  for (const message of messages) for (const { word } of message.words.slice(0, 4)) needles.push(word, word.toUpperCase(), word.slice(1, 4));
  for (const pick of picks) {
    const message = messages[pick.message % messages.length];
    const text = searchableText(message.raw, await analyzeMessage(message.raw));
    const start = text.length === 0 ? 0 : pick.start % text.length;
    const piece = text.slice(start, start + pick.length);
    if (piece) needles.push(pick.upper ? piece : piece.toLowerCase());
  }
  return needles;
}

test('SEARCH BODY/TEXT over generated hostile mail: the same matches with the search index as without it', async () => {
  let round = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.array(hostileMessage, { minLength: 1, maxLength: 8 }),
      fc.array(fc.record({ message: fc.nat(), start: fc.nat(), length: fc.integer({ min: 1, max: 24 }), upper: fc.boolean() }), { minLength: 4, maxLength: 8 }),
      async (messages, picks) => {
        round += 1;
        const withIndex = await storeFolder(`generated-${round}`, messages);
        expect(withIndex.textCandidates).toBeDefined();
        const withoutIndex: OpenMailbox = { ...withIndex, textCandidates: undefined };
        const needles = await needlesFor(messages, picks);
        for (const [index, value] of needles.entries()) {
          const other = needles[(index * 7 + 3) % needles.length];
          const keys: SearchKey[] = [
            { kind: 'text', scope: 'text', value },
            { kind: 'text', scope: 'body', value },
            { kind: 'and', keys: [{ kind: 'text', scope: 'text', value }, { kind: 'text', scope: 'body', value: other }] },
            { kind: 'or', left: { kind: 'text', scope: 'body', value }, right: { kind: 'text', scope: 'text', value: other } },
            { kind: 'not', key: { kind: 'text', scope: 'text', value } },
            { kind: 'and', keys: [{ kind: 'flag', flag: '\\Seen' }, { kind: 'not', key: { kind: 'text', scope: 'body', value } }] },
          ];
          for (const key of keys) {
            const expected = await runSearch(program(key), withoutIndex);
            expect({ key, matches: await runSearch(program(key), withIndex) }).toEqual({ key, matches: expected });
          }
        }
        // The index is used: a needle no message holds reads no message at all.
        let reads = 0;
        const counting: OpenMailbox = { ...withIndex, readAll: (message) => (reads++, withIndex.readAll(message)) };
        expect(await runSearch(program({ kind: 'text', scope: 'text', value: 'no such words here' }), counting)).toEqual([]);
        expect(reads).toBe(0);
        expect(await runSearch(program({ kind: 'text', scope: 'text', value: 'no such words here' }), { ...counting, textCandidates: undefined })).toEqual([]);
        expect(reads).toBe(messages.length);
      },
    ),
    { numRuns: 25, seed: 1764457200 },
  );
});
