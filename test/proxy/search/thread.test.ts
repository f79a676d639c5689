/**
 * THREAD on hostile stored mail: reference chains thousands deep and References headers with
 * thousands of Message-IDs must thread in near-linear time without recursion (a stack overflow
 * answered `BAD [SERVERBUG]`), and on every small reference graph — cycles, duplicates,
 * self-references, missing parents — give exactly the answer of the recursive implementation that
 * the Dovecot differential tests pinned down (kept in thread-oracle.ts).
 */
import fc from 'fast-check';
import { performance } from 'node:perf_hooks';
import { parseSearchProgram, runThread } from '../../../src/proxy/search/index.js';
import { messageIds, threadMessages, type ThreadMessage } from '../../../src/proxy/search/thread.js';
import { parseDateHeader } from '../../../src/mail/dates.js';
import { replaceComments } from '../../../src/mail/header-text.js';
import { fakeMailbox, tokenize, type StoredMessage } from './harness.js';
import { oracleThread } from './thread-oracle.js';

const ALL = parseSearchProgram(tokenize('ALL'), { uid: true, esearchAllowed: false });

function stored(uid: number, headers: string[]): StoredMessage {
  const raw = Buffer.from(`${headers.join('\r\n')}\r\n\r\nbody\r\n`);
  return { uid, flags: [], internalDate: new Date(Date.UTC(2026, 0, 1) + uid * 1000), size: raw.length, blobHash: String(uid), raw };
}

const date = (uid: number) => `Date: ${new Date(Date.UTC(2026, 0, 1) + uid * 60_000).toUTCString().replace('GMT', '+0000')}`;

describe('THREAD on hostile reference graphs', () => {
  it('threads a 20,000-deep reference chain and a 10,000-ID References header without recursion', async () => {
    const DEPTH = 20_000;
    const WIDE = 10_000;
    const messages: StoredMessage[] = [];
    // A chain whose replies arrive first (each container is created by its child's reference, then
    // moved when its own message comes), then one in delivery order.
    for (let i = DEPTH; i >= 1; i--) {
      const uid = messages.length + 1;
      messages.push(stored(uid, [date(i), `Subject: chain ${i}`, `Message-ID: <c${i}@deep>`, ...(i > 1 ? [`References: <c${i - 1}@deep>`] : [])]));
    }
    const wideIds = Array.from({ length: WIDE }, (_, j) => `<w${j}@wide>`);
    messages.push(stored(messages.length + 1, [date(DEPTH + 1), 'Subject: wide', 'Message-ID: <wide@x>', `References: ${wideIds.join('\r\n ')}`]));
    // The same 10,000 IDs in reverse: every link would close a loop and must be refused.
    messages.push(stored(messages.length + 1, [date(DEPTH + 2), 'Subject: wide back', 'Message-ID: <wide2@x>', `References: ${[...wideIds].reverse().join(' ')}`]));
    const mailbox = fakeMailbox(messages);

    // No timing assertion (it failed on a loaded machine, 17 s against 8): a recursive walk overflows
    // the stack on this chain and throws, and a quadratic one runs into the test's timeout.
    const line = await runThread('REFERENCES', ALL, mailbox);
    // The chain is one thread whose messages each have one child: a flat line, root (oldest) first,
    // in UID order DEPTH…1 since the chain was delivered youngest first.
    const chain = Array.from({ length: DEPTH }, (_, k) => DEPTH - k).join(' ');
    expect(line.startsWith(`* THREAD (${chain})`)).toBe(true);
    const rest = line.slice(`* THREAD (${chain})`.length);
    // The wide message hangs under a 10,000-long dummy chain; the reversed one, whose every link
    // would close a loop, under the first ID of its list: the top of that chain. Pruned, the top
    // dummy keeps both as its children.
    expect(rest).toBe(`((${DEPTH + 1})(${DEPTH + 2}))`);
    expect(await runThread('ORDEREDSUBJECT', ALL, mailbox)).toMatch(/^\* THREAD (\(\d+\)){20002}$/);
  });

  it('renders a 10,000-deep branching thread as nested parentheses, built without recursion', async () => {
    // Each spine message has two replies: the next spine message and a leaf, so every level nests.
    const DEPTH = 10_000;
    const messages: ThreadMessage[] = [];
    const add = (messageId: string, references: string[]) =>
      messages.push({ id: messages.length + 1, sequence: messages.length + 1, date: messages.length, subject: '', isReplyOrForward: false, messageId, references });
    for (let i = 0; i < DEPTH; i++) {
      add(`s${i}@x`, i ? [`s${i - 1}@x`] : []);
      if (i) add(`l${i}@x`, [`s${i - 1}@x`]);
    }
    const started = performance.now();
    const line = await threadMessages('REFERENCES', messages);
    expect(performance.now() - started).toBeLessThan(2000);
    // spine i has id 2i (i ≥ 1), its leaf 2i+1; spine 0 has id 1.
    let expected = `${2 * (DEPTH - 1)}`;
    for (let i = DEPTH - 2; i >= 0; i--) expected = `${i ? 2 * i : 1} (${expected})(${2 * (i + 1) + 1})`;
    expect(line).toBe(`* THREAD (${expected})`);
  });

  it('links a 20,000-deep chain announced by one References header in near-linear time', async () => {
    const DEPTH = 20_000;
    const ids = Array.from({ length: DEPTH }, (_, i) => `n${i}@x`);
    const messages: ThreadMessage[] = [
      { id: 1, sequence: 1, date: 1, subject: 'a', isReplyOrForward: false, messageId: 'leaf@x', references: ids },
      // Each later message belongs at the top of the chain and points back at the bottom (a loop).
      ...Array.from({ length: 2000 }, (_, k): ThreadMessage => ({ id: k + 2, sequence: k + 2, date: k + 2, subject: `b${k}`, isReplyOrForward: false, messageId: ids[k], references: [ids[DEPTH - 1 - k]] })),
    ];
    const started = performance.now();
    const line = await threadMessages('REFERENCES', messages);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(line.startsWith('* THREAD (')).toBe(true);
    expect(line.match(/\d+/g)?.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 2001 }, (_, k) => k + 1));
  });

  const ids = ['a@x', 'b@x', 'c@x', 'd@x', 'e@x', 'f@x'];
  const message = fc.record({
    date: fc.integer({ min: 0, max: 4 }),
    subject: fc.constantFrom('', 'one', 'two', 'three'),
    isReplyOrForward: fc.boolean(),
    messageId: fc.option(fc.constantFrom(...ids), { nil: null }),
    references: fc.array(fc.constantFrom(...ids, 'missing@x'), { maxLength: 6 }),
  });

  it.each(['REFERENCES', 'ORDEREDSUBJECT'] as const)('%s equals the recursive implementation on random small reference graphs', async (algorithm) => {
    await fc.assert(
      fc.asyncProperty(fc.array(message, { maxLength: 12 }), fc.boolean(), async (drawn, uid) => {
        // Self-references, cycles, duplicate Message-IDs and references to absent messages all occur.
        const messages: ThreadMessage[] = drawn.map((m, index) => ({ ...m, sequence: index + 1, id: uid ? 100 + 3 * index : index + 1 }));
        const copy = () => messages.map((m) => ({ ...m, references: [...m.references] }));
        expect(await threadMessages(algorithm, copy())).toBe(await oracleThread(algorithm, copy()));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads comments out of References and Date headers in linear time, as the regex did', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('(', ')', 'a', ' ', '<', '>', '@', 'x@y'), { maxLength: 30 }), fc.constantFrom('', ' '), (pieces, replacement) => {
        const value = pieces.join('');
        expect(replaceComments(value, replacement)).toBe(value.replace(/\([^)]*\)/g, replacement));
      }),
      { numRuns: 5000 },
    );
    // Thousands of unclosed `(`: the regex retried from each to the end of the header.
    const opens = '('.repeat(200_000);
    const started = performance.now();
    expect(messageIds(`<a@b> ${opens}<c@d>`)).toEqual(['a@b', 'c@d']);
    expect(parseDateHeader(`Mon, 2 Feb 2026 10:00:00 +0000 ${opens}`)?.time).toBe(Date.UTC(2026, 1, 2, 10));
    expect(performance.now() - started).toBeLessThan(500);
  });
});
