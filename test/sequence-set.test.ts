import fc from 'fast-check';
import { parseSequenceSet, selectFromSorted, sequenceSetContains, sequenceSetMatcher, type SequenceSet } from '../src/sequence-set.js';

const bound = fc.oneof({ weight: 5, arbitrary: fc.integer({ min: 1, max: 60 }) }, { weight: 1, arbitrary: fc.constant(null) });
const set: fc.Arbitrary<SequenceSet> = fc.array(fc.record({ from: bound, to: bound }), { minLength: 1, maxLength: 30 });

describe('sequence sets', () => {
  test('the prepared matcher (merged ranges, binary search) names exactly what the range-by-range check names', () => {
    fc.assert(
      fc.property(set, fc.integer({ min: 0, max: 70 }), (ranges, largest) => {
        const values = Array.from({ length: 73 }, (_, value) => value);
        expect(values.filter(sequenceSetMatcher(ranges, largest))).toEqual(values.filter((value) => sequenceSetContains(ranges, value, largest)));
      }),
      { numRuns: 1000 },
    );
  });

  test('selectFromSorted picks the named members of a sorted list, with * as its largest', () => {
    const uids = [2, 4, 6, 8, 100];
    expect(selectFromSorted(parseSequenceSet('1:5,8,50:*')!, uids)).toEqual([2, 4, 8, 100]);
    expect(selectFromSorted(parseSequenceSet('*')!, uids)).toEqual([100]);
    expect(selectFromSorted(parseSequenceSet('9:3')!, uids)).toEqual([4, 6, 8]);
    const many = parseSequenceSet(Array.from({ length: 10_000 }, (_, i) => 2 * i + 1).join(','))!;
    expect(selectFromSorted(many, Array.from({ length: 6000 }, (_, i) => i + 1))).toHaveLength(3000);
  });
});
