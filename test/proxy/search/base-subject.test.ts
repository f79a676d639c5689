/**
 * RFC 5256 base subjects of hostile stored Subjects (thousands of `Re:`, `[blob]`, `(fwd)` and nested
 * `[fwd: …]` pieces, hundreds of kilobytes long) take linear time, and every subject — random
 * sequences of those pieces — gets exactly the answer of the regex-and-slice implementation the
 * Dovecot differential tests pinned down (copied below as the oracle, for small inputs only).
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { extractBaseSubject } from '../../../src/proxy/search/base-subject.js';
import { parseSortArguments, runSort, runThread, parseSearchProgram } from '../../../src/proxy/search/index.js';
import { foldForSearch } from '../../../src/proxy/search/text.js';
import { decodeHeaderValue } from '../../../src/mail/header-text.js';
import { fakeMailbox, tokenize, type StoredMessage } from './harness.js';

// ---- oracle: the previous implementation, verbatim ----
const TRAILER = /(?:[ \t]+|\(fwd\))$/i;
const BLOB = /^\[[^[\]]*\][ \t]*/;
const REFWD = /^(?:\[[^[\]]*\][ \t]*)*(?:re|fwd?)[ \t]*(?:\[[^[\]]*\][ \t]*)?:/i;

interface BaseSubject {
  /** Folded for comparison (i;unicode-casemap). */
  base: string;
  /** Whether a Re:/Fwd: leader or (fwd) trailer was removed (THREAD REFERENCES uses it). */
  isReplyOrForward: boolean;
}

function recursiveBaseSubject(rawValue: string): BaseSubject {
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

// ---- end of oracle ----

const PIECES = ['Re', 're', 'RE', 'rE', 'Fw', 'fwd', 'FWD', 'fW', 'd', ':', ' ', '  ', '\t', '\r\n ', '[', ']', '[a]', '[list] ', '[fwd:', '[FWD: ', '(fwd)', '(FwD)', '(', ')', 'x', 'Y', 'é', 'ß', '=?utf-8?q?Re=3A_?=', '=?utf-8?q?=5Bfwd:_?='];

/** Hostile subjects of roughly `size` characters each. */
function hostile(size: number): Record<string, string> {
  const times = (piece: string) => Math.ceil(size / piece.length);
  return {
    leaders: `${'Re: '.repeat(times('Re: '))}x`,
    blobs: `${'[a]'.repeat(times('[a]'))} x`,
    trailers: `x${' (fwd)'.repeat(times(' (fwd)'))}`,
    nestedForwards: `${'[fwd: '.repeat(times('[fwd: ]') / 2)}x${']'.repeat(times('[fwd: ]') / 2)}`,
    mixed: `${'Re: [fwd: [l] fwd[b]: '.repeat(times('Re: [fwd: [l] fwd[b]: ] (fwd)') / 2)}x${'] (fwd)'.repeat(times('Re: [fwd: [l] fwd[b]: ] (fwd)') / 2)}`,
    blobsThenText: `${'[list] '.repeat(times('[list] '))}Re x`,
  };
}

describe('extractBaseSubject on hostile subjects', () => {
  it('equals the previous implementation on random subjects made of leader, blob and trailer pieces', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...PIECES), { maxLength: 24 }), (pieces) => {
        const subject = pieces.join('');
        expect(extractBaseSubject(subject)).toEqual(recursiveBaseSubject(subject));
      }),
      { numRuns: 20000 },
    );
  });

  it('takes linear time on 100 KB subjects made of thousands of pieces', () => {
    const subjects = hostile(100_000);
    for (const [name, subject] of Object.entries(hostile(2_000))) expect([name, extractBaseSubject(subject)]).toEqual([name, recursiveBaseSubject(subject)]);
    const started = performance.now();
    for (const subject of Object.values(subjects)) expect(extractBaseSubject(subject).base).toMatch(/^(X|RE X|)$/);
    // Linear: a few milliseconds each here; the quadratic version took seconds.
    expect(performance.now() - started).toBeLessThan(500);
  });

  it('SORT SUBJECT and THREAD over messages with megabyte subjects answer promptly', async () => {
    const messages: StoredMessage[] = Object.values(hostile(1_000_000)).map((subject, index) => {
      const raw = Buffer.from(`Subject: ${subject}\r\nMessage-ID: <m${index}@x>\r\n\r\nbody\r\n`);
      return { uid: index + 1, flags: [], internalDate: new Date(Date.UTC(2026, 0, 1 + index)), size: raw.length, blobHash: String(index), raw };
    });
    const mailbox = fakeMailbox(messages);
    const started = performance.now();
    const { criteria, program } = parseSortArguments(tokenize('(SUBJECT) UTF-8 ALL'), { uid: true });
    expect(await runSort(criteria, 'UTF-8', program, mailbox)).toHaveLength(messages.length);
    const all = parseSearchProgram(tokenize('ALL'), { uid: true, esearchAllowed: false });
    expect(await runThread('REFERENCES', all, mailbox)).toMatch(/^\* THREAD /);
    expect(await runThread('ORDEREDSUBJECT', all, mailbox)).toMatch(/^\* THREAD /);
    expect(performance.now() - started).toBeLessThan(4000);
  });
});
