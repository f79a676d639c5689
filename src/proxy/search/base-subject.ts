/**
 * RFC 5256 §2.1 base subject: the subject without "Re:", "Fwd:", "[list]" blobs and "(fwd)"
 * trailers, used by SORT SUBJECT and both THREAD algorithms.
 */
import { foldForSearch } from './text.js';
import { decodeHeaderValue } from '../../mail/header-text.js';

export interface BaseSubject {
  /** Folded for comparison (i;unicode-casemap). */
  base: string;
  /** Whether a Re:/Fwd: leader or (fwd) trailer was removed (THREAD REFERENCES uses it). */
  isReplyOrForward: boolean;
}

/** Whether `text` holds `word` (lower-case ASCII) at `at`, ASCII letters in any case. */
function wordAt(text: string, at: number, word: string): boolean {
  for (let i = 0; i < word.length; i++) {
    const code = text.charCodeAt(at + i);
    if (code !== word.charCodeAt(i) && code + 0x20 !== word.charCodeAt(i)) return false;
  }
  return true;
}

/**
 * The steps work on `text` between two positions (`start`, `end`) that only ever move inwards, and
 * each scan is anchored at one of them: a stored Subject of a megabyte made of thousands of `Re:`,
 * `[blob]`, `(fwd)` or nested `[fwd: …]` pieces costs linear time, where slicing and re-matching the
 * remaining text after each piece cost quadratic time.
 */
export function extractBaseSubject(rawValue: string): BaseSubject {
  const text = decodeHeaderValue(rawValue).replace(/[\t\r\n]+/g, ' ').replace(/ {2,}/g, ' ');
  let start = 0;
  let end = text.length;
  let isReplyOrForward = false;
  const isBlank = (at: number) => text[at] === ' ' || text[at] === '\t';
  /** End of the subj-blob (`[…]` and the blanks after it) at `at`, or -1. */
  const blobEnd = (at: number): number => {
    if (text[at] !== '[') return -1;
    let close = at + 1;
    while (close < end && text[close] !== '[' && text[close] !== ']') close++;
    if (close >= end || text[close] !== ']') return -1;
    let after = close + 1;
    while (after < end && isBlank(after)) after++;
    return after;
  };
  let failedBlobsUntil = -1;
  /** End of a subj-refwd (`*blob ("re" / "fw" ["d"]) *WSP [blob] ":"`) at `at`, or -1. */
  const refwdEnd = (at: number): number => {
    // A refwd that fails after a run of blobs fails again from each later blob of the run, which
    // (4) strips one by one: remember where the run ended instead of rescanning it every time.
    if (at <= failedBlobsUntil) return -1;
    let cursor = at;
    for (let next = blobEnd(cursor); next >= 0; next = blobEnd(cursor)) cursor = next;
    const failed = () => {
      failedBlobsUntil = cursor;
      return -1;
    };
    let after: number;
    if (end - cursor >= 2 && wordAt(text, cursor, 're')) after = cursor + 2;
    else if (end - cursor >= 2 && wordAt(text, cursor, 'fw')) after = end - cursor >= 3 && wordAt(text, cursor + 2, 'd') ? cursor + 3 : cursor + 2;
    else return failed();
    while (after < end && isBlank(after)) after++;
    const blob = blobEnd(after);
    if (blob >= 0 && blob < end && text[blob] === ':') return blob + 1;
    return after < end && text[after] === ':' ? after + 1 : failed();
  };
  for (;;) {
    // (2) trailers
    for (;;) {
      if (end > start && isBlank(end - 1)) end--;
      else if (end - start >= 5 && text[end - 5] === '(' && wordAt(text, end - 4, 'fwd') && text[end - 1] === ')') {
        end -= 5;
        isReplyOrForward = true;
      } else break;
    }
    failedBlobsUntil = -1;
    // (3)–(5) leaders and blobs
    for (let changed = true; changed; ) {
      changed = false;
      while (start < end && isBlank(start)) {
        start++;
        changed = true;
      }
      const refwd = refwdEnd(start);
      if (refwd >= 0) {
        start = refwd;
        isReplyOrForward = true;
        changed = true;
      }
      const blob = blobEnd(start);
      if (blob >= 0 && blob < end) {
        start = blob;
        changed = true;
      }
    }
    // (6) [fwd: …]
    if (end - start >= 6 && text[start] === '[' && wordAt(text, start + 1, 'fwd') && text[start + 4] === ':' && text[end - 1] === ']') {
      start += 5;
      end -= 1;
      isReplyOrForward = true;
      continue;
    }
    break;
  }
  return { base: foldForSearch(text.slice(start, end)), isReplyOrForward };
}
