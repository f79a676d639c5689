import fc from 'fast-check';
import { messagesInSet } from '../../../src/proxy/commands/message-set.js';
import type { OpenMailbox } from '../../../src/proxy/ports.js';
import { sequenceSetContains, type SequenceSet } from '../../../src/sequence-set.js';

const bound = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 60 }) }, { weight: 1, arbitrary: fc.constant(null) });
const set: fc.Arbitrary<SequenceSet> = fc.array(fc.record({ from: bound, to: bound }), { minLength: 1, maxLength: 30 });
/** Ascending UIDs with gaps, as a folder has after expunges. */
const uids = fc.uniqueArray(fc.integer({ min: 1, max: 70 }), { maxLength: 40 }).map((values) => values.sort((a, b) => a - b));

const mailboxOf = (folderUids: number[]) => ({ messages: folderUids.map((uid) => ({ uid })) }) as unknown as OpenMailbox;

describe('messagesInSet', () => {
  test('walking merged ranges names exactly the messages a test of every message against the set names', () => {
    fc.assert(
      fc.property(set, uids, fc.boolean(), (ranges, folderUids, uid) => {
        const count = folderUids.length;
        const largest = uid ? (folderUids.at(-1) ?? 0) : count;
        const outOfRange = !uid && ranges.some((range) => (range.from ?? 0) > count || (range.to ?? 0) > count);
        const expected = outOfRange
          ? null
          : folderUids.map((value, index) => index + 1).filter((sequence) => sequenceSetContains(ranges, uid ? folderUids[sequence - 1] : sequence, largest));
        expect(messagesInSet(mailboxOf(folderUids), ranges, uid)).toEqual(expected);
      }),
      { numRuns: 2000 },
    );
  });
});
