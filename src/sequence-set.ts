/**
 * RFC 3501 sequence-set: `1,3:5,7:*`. One parser and one type for every command that takes one
 * (FETCH, STORE, SEARCH keys, UID variants). `*` is resolved against the mailbox when matching.
 */
export interface SequenceRange {
  /** null stands for `*` (the largest number in use). */
  from: number | null;
  to: number | null;
}

export type SequenceSet = SequenceRange[];

const NUMBER = /^[1-9][0-9]*$/;

function parseNumber(text: string): number | null | undefined {
  if (text === '*') return null;
  if (!NUMBER.test(text)) return undefined;
  const value = Number(text);
  return value <= 0xffffffff ? value : undefined;
}

/** Returns null when the text is not a valid sequence set. `$` (SEARCHRES) is not supported. */
export function parseSequenceSet(text: string): SequenceSet | null {
  if (!text) return null;
  const ranges: SequenceSet = [];
  for (const part of text.split(',')) {
    const bounds = part.split(':');
    if (bounds.length > 2) return null;
    const from = parseNumber(bounds[0]);
    const to = bounds.length === 2 ? parseNumber(bounds[1]) : from;
    if (from === undefined || to === undefined) return null;
    ranges.push({ from, to });
  }
  return ranges;
}

export function isSequenceSet(text: string): boolean {
  return parseSequenceSet(text) !== null;
}

/** True when `value` is in the set; `largest` is what `*` means (the highest seq or UID in use). */
export function sequenceSetContains(set: SequenceSet, value: number, largest: number): boolean {
  for (const range of set) {
    const from = range.from ?? largest;
    const to = range.to ?? largest;
    const low = Math.min(from, to);
    const high = Math.max(from, to);
    if (value >= low && value <= high) return true;
  }
  return false;
}

/**
 * sequenceSetContains for many values: the ranges sorted and merged once, then a binary search per
 * value. A set of thousands of ranges (`1,3,5,7,…` fills a command line) checked against every
 * message of a big folder one range at a time took seconds.
 */
export function sequenceSetMatcher(set: SequenceSet, largest: number): (value: number) => boolean {
  const { lows, highs } = mergedRanges(set, largest);
  return (value) => {
    const found = lastRangeStartingAtOrBelow(lows, value);
    return found >= 0 && value <= highs[found];
  };
}

/**
 * The set as disjoint ascending ranges [lows[i], highs[i]], `*` resolved to `largest`, reversed
 * ranges (`5:2`) turned round, overlapping and adjacent ones merged: what a walk over a mailbox
 * visits range by range instead of testing every message against the set.
 */
export function mergedRanges(set: SequenceSet, largest: number): { lows: number[]; highs: number[] } {
  const ranges = set
    .map((range) => {
      const from = range.from ?? largest;
      const to = range.to ?? largest;
      return [Math.min(from, to), Math.max(from, to)] as const;
    })
    .sort((a, b) => a[0] - b[0]);
  const lows: number[] = [];
  const highs: number[] = [];
  for (const [low, high] of ranges) {
    if (highs.length > 0 && low <= highs[highs.length - 1] + 1) highs[highs.length - 1] = Math.max(highs[highs.length - 1], high);
    else {
      lows.push(low);
      highs.push(high);
    }
  }
  return { lows, highs };
}

/** Index of the last of the ascending `lows` at or below `value`, -1 when there is none. */
function lastRangeStartingAtOrBelow(lows: readonly number[], value: number): number {
  let lo = 0;
  let hi = lows.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (lows[mid] <= value) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** The members of `sorted` (ascending, e.g. all UIDs of a mailbox) that the set names. */
export function selectFromSorted(set: SequenceSet, sorted: readonly number[]): number[] {
  if (sorted.length === 0) return [];
  const contains = sequenceSetMatcher(set, sorted[sorted.length - 1]);
  return sorted.filter(contains);
}

/** Compact text form of ascending numbers: [1,2,3,5] → "1:3,5" (ESEARCH ALL, COPYUID …). */
export function formatSequenceSet(sortedValues: readonly number[]): string {
  const parts: string[] = [];
  let start = -1;
  let previous = -1;
  for (const value of sortedValues) {
    if (start >= 0 && value === previous + 1) {
      previous = value;
      continue;
    }
    if (start >= 0) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
    start = previous = value;
  }
  if (start >= 0) parts.push(start === previous ? `${start}` : `${start}:${previous}`);
  return parts.join(',');
}
