import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { joinReference, listPatternMatcher } from '../../../src/proxy/protocol/list-pattern.js';

/**
 * The reference: RFC 3501 §6.3.8 read literally, as a memoised recursion over (pattern position,
 * name position) — obviously right and polynomial, too slow for the server's hot path.
 */
function referenceMatch(pattern: string[], name: string[], delimiter = '/'): boolean {
  const memo = new Map<number, boolean>();
  const at = (p: number, n: number): boolean => {
    const key = p * (name.length + 1) + n;
    const known = memo.get(key);
    if (known !== undefined) return known;
    let result: boolean;
    if (p === pattern.length) result = n === name.length;
    else if (pattern[p] === '*') result = at(p + 1, n) || (n < name.length && at(p, n + 1));
    else if (pattern[p] === '%') result = at(p + 1, n) || (n < name.length && name[n] !== delimiter && at(p, n + 1));
    else result = n < name.length && pattern[p] === name[n] && at(p + 1, n + 1);
    memo.set(key, result);
    return result;
  };
  return at(0, 0);
}

/** Generous per-match bound: a linear matcher needs microseconds here, the old regex took seconds to minutes. */
const MATCH_BOUND_MS = 100;

function timedMatch(pattern: string, name: string): boolean {
  const started = performance.now();
  const result = listPatternMatcher(pattern)(name);
  const took = performance.now() - started;
  if (took > MATCH_BOUND_MS) throw new Error(`matching ${JSON.stringify(pattern)} against ${JSON.stringify(name)} took ${took.toFixed(0)} ms`);
  return result;
}

// Few letters, so that patterns and names share characters and both outcomes are common.
const nameChar = fc.constantFrom('a', 'b', 'Z', '/', 'é', '😀');
const patternChar = fc.oneof({ weight: 3, arbitrary: nameChar }, { weight: 2, arbitrary: fc.constantFrom('*', '%') });
const name = fc.array(nameChar, { maxLength: 40 }).map((chars) => chars.join(''));
const pattern = fc.array(patternChar, { maxLength: 40 }).map((chars) => chars.join(''));
/** What made the backtracking regex explode: many wildcard pairs and a tail that fails late. */
const adversarialPattern = fc
  .tuple(fc.array(fc.constantFrom('*%', '%*', '*a', '%a', 'a*', '**', '%%'), { minLength: 4, maxLength: 40 }), fc.constantFrom('Z', 'b', '/Z', ''))
  .map(([pairs, tail]) => pairs.join('') + tail);
const longName = fc
  .tuple(fc.array(fc.constantFrom('a', 'a', 'a', '/'), { minLength: 20, maxLength: 200 }), fc.constantFrom('', 'Z', 'b'))
  .map(([chars, tail]) => chars.join('') + tail);

describe('LIST pattern matching', () => {
  test('agrees with the reference matcher on random patterns and names, each match within the bound', () => {
    fc.assert(
      fc.property(pattern, name, (p, n) => {
        expect(timedMatch(p, n)).toBe(referenceMatch(Array.from(p), Array.from(n)));
      }),
      { numRuns: 3000 },
    );
  });

  test('answers adversarial wildcard patterns within the bound, and correctly', () => {
    fc.assert(
      fc.property(adversarialPattern, longName, (p, n) => {
        expect(timedMatch(p, n)).toBe(referenceMatch(Array.from(p), Array.from(n)));
      }),
      { numRuns: 300 },
    );
  });

  test('the pattern that froze the server answers at once', () => {
    const names = ['a'.repeat(60), `${'ab/'.repeat(20)}Y`, 'Snapshots/2026-11-23/INBOX', `${'x'.repeat(200)}Z`];
    for (const n of names) expect(timedMatch('*%*%*%*%*%*%*%Z', n)).toBe(n.endsWith('Z'));
    // As long as a command line may be: still bounded.
    const longest = '*%'.repeat(4000) + 'Z';
    expect(timedMatch(longest, 'a'.repeat(300))).toBe(false);
    expect(timedMatch(longest, `${'a/'.repeat(100)}Z`)).toBe(true);
    const manyLiterals = '*a%'.repeat(300) + 'Z';
    expect(timedMatch(manyLiterals, 'a'.repeat(450))).toBe(false);
    expect(timedMatch(manyLiterals, `${'a'.repeat(450)}Z`)).toBe(true);
    expect(timedMatch(manyLiterals, `${'a'.repeat(299)}Z`)).toBe(false);
  });

  test('keeps the RFC 3501 meanings: % stops at the delimiter, * does not, INBOX is case-insensitive', () => {
    expect(listPatternMatcher('%')('Snapshots')).toBe(true);
    expect(listPatternMatcher('%')('Snapshots/2026-11-23')).toBe(false);
    expect(listPatternMatcher('Snapshots/%')('Snapshots/2026-11-23')).toBe(true);
    expect(listPatternMatcher('*')('Snapshots/2026-11-23/INBOX')).toBe(true);
    expect(listPatternMatcher('inbox')('INBOX')).toBe(true);
    expect(listPatternMatcher('INBOX/%')('inbox/Sub')).toBe(true);
    expect(listPatternMatcher('a.b')('axb')).toBe(false);
    expect(listPatternMatcher(joinReference('Snapshots/', '/%'))('Snapshots/2026-11-23')).toBe(true);
  });
});
