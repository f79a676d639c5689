/**
 * RFC 5256 §2.1 base subject: the subject without "Re:", "Fwd:", "[list]" blobs and "(fwd)"
 * trailers, used by SORT SUBJECT and both THREAD algorithms.
 */
import { decodeHeaderValue, foldForSearch } from './text.js';

const TRAILER = /(?:[ \t]+|\(fwd\))$/i;
const BLOB = /^\[[^[\]]*\][ \t]*/;
const REFWD = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:/i;

export interface BaseSubject {
  /** Folded for comparison (i;unicode-casemap). */
  base: string;
  /** Whether a Re:/Fwd: leader or (fwd) trailer was removed (THREAD REFERENCES uses it). */
  isReplyOrForward: boolean;
}

export function extractBaseSubject(rawValue: string): BaseSubject {
  let subject = decodeHeaderValue(rawValue).replace(/[\t\r\n]+/g, ' ').replace(/ {2,}/g, ' ');
  let isReplyOrForward = false;
  for (;;) {
    // (2) trailers
    for (let match = TRAILER.exec(subject); match; match = TRAILER.exec(subject)) {
      if (/fwd/i.test(match[0])) isReplyOrForward = true;
      subject = subject.slice(0, subject.length - match[0].length);
    }
    // (3)–(5) leaders and blobs
    for (let changed = true; changed; ) {
      changed = false;
      const leadingBlank = /^[ \t]+/.exec(subject);
      if (leadingBlank) {
        subject = subject.slice(leadingBlank[0].length);
        changed = true;
      }
      const refwd = REFWD.exec(subject);
      if (refwd) {
        subject = subject.slice(refwd[0].length);
        isReplyOrForward = true;
        changed = true;
      }
      const blob = BLOB.exec(subject);
      if (blob && blob[0].length < subject.length) {
        subject = subject.slice(blob[0].length);
        changed = true;
      }
    }
    // (6) [fwd: …]
    if (/^\[fwd:/i.test(subject) && subject.endsWith(']')) {
      subject = subject.slice(5, -1);
      isReplyOrForward = true;
      continue;
    }
    break;
  }
  return { base: foldForSearch(subject), isReplyOrForward };
}
