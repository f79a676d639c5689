/**
 * The search engine loads what the program's keys need and nothing more: catalog rows alone for
 * flag/size/date/set keys, header blocks in batches for header keys (SORT and THREAD too), whole
 * messages only for BODY/TEXT. Programs are random AND/OR/NOT mixes of keys.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import { parseSearchProgram, parseSortArguments, runSearch, runSort, runThread } from '../../../src/proxy/search/index.js';
import type { MessageRef, OpenMailbox } from '../../../src/proxy/ports.js';
import type { Token } from '../../../src/proxy/protocol/tokens.js';

const atom = (value: string): Token => ({ type: 'atom', value });
const text = (value: string): Token => ({ type: 'string', value: Buffer.from(value), literal: false });

type Data = 'index' | 'header' | 'whole';
const KEYS: Array<{ tokens: Token[]; data: Data }> = [
  { tokens: [atom('ALL')], data: 'index' },
  { tokens: [atom('SEEN')], data: 'index' },
  { tokens: [atom('UID'), atom('2:40')], data: 'index' },
  { tokens: [atom('LARGER'), atom('30')], data: 'index' },
  { tokens: [atom('SINCE'), atom('1-Nov-2026')], data: 'index' },
  { tokens: [atom('SUBJECT'), text('two')], data: 'header' },
  { tokens: [atom('HEADER'), atom('X-Tag'), text('')], data: 'header' },
  { tokens: [atom('SENTBEFORE'), atom('1-Jan-2027')], data: 'header' },
  { tokens: [atom('BODY'), text('')], data: 'header' },
  { tokens: [atom('BODY'), text('hello')], data: 'whole' },
  { tokens: [atom('TEXT'), text('world')], data: 'whole' },
];
const RANK: Record<Data, number> = { index: 0, header: 1, whole: 2 };

function folder(count: number) {
  const messages: Array<MessageRef & { raw: Buffer }> = [];
  for (let uid = 1; uid <= count; uid++) {
    const raw = Buffer.from(`Subject: ${uid % 3 ? 'one' : 'two'}\r\nDate: Mon, 23 Nov 2026 10:00:00 +0000\r\n${uid % 2 ? 'X-Tag: y\r\n' : ''}\r\n${uid % 5 ? 'Hello' : 'World'}\r\n`);
    messages.push({ uid, flags: uid % 2 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2026, 10, 23)), size: raw.length, blobHash: `h${uid}`, raw });
  }
  const calls = { structure: 0, readHeader: 0, headersRead: 0, readAll: 0, read: 0 };
  const header = (ref: MessageRef) => {
    const raw = (ref as MessageRef & { raw: Buffer }).raw;
    return raw.subarray(0, raw.indexOf('\r\n\r\n') + 4);
  };
  const mailbox: OpenMailbox = {
    name: 'INBOX',
    uidValidity: 1,
    uidNext: count + 1,
    highestModseq: 1,
    flags: ['\\Seen'],
    messages,
    structure: async (ref) => {
      calls.structure++;
      return analyzeMessage((ref as MessageRef & { raw: Buffer }).raw);
    },
    readHeader: async (ref) => {
      calls.readHeader++;
      return header(ref);
    },
    readHeaders: async (refs) => {
      calls.headersRead += refs.length;
      return refs.map(header);
    },
    read: (ref) => {
      calls.read++;
      return Readable.from([(ref as MessageRef & { raw: Buffer }).raw]);
    },
    readAll: async (ref) => {
      calls.readAll++;
      return (ref as MessageRef & { raw: Buffer }).raw;
    },
  };
  return { mailbox, calls };
}

/** A random program over KEYS: the tokens and the most any of its keys needs. */
const program: fc.Arbitrary<{ tokens: Token[]; data: Data }> = fc.letrec<{ key: { tokens: Token[]; data: Data } }>((tie) => ({
  key: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(...KEYS),
    tie('key').map((inner) => ({ tokens: [atom('NOT'), ...inner.tokens], data: inner.data })),
    fc.tuple(tie('key'), tie('key')).map(([left, right]) => ({
      tokens: [atom('OR'), ...left.tokens, ...right.tokens],
      data: RANK[left.data] >= RANK[right.data] ? left.data : right.data,
    })),
  ),
})).key;

describe('search engine', () => {
  it('reads for SEARCH exactly what the keys need', async () => {
    await fc.assert(
      fc.asyncProperty(program, fc.integer({ min: 1, max: 300 }), async ({ tokens, data }, count) => {
        const { mailbox, calls } = folder(count);
        await runSearch(parseSearchProgram(tokens, { uid: false, esearchAllowed: true }), mailbox);
        expect(calls.headersRead).toBe(data === 'header' ? count : 0);
        expect(calls.readAll).toBe(data === 'whole' ? count : 0);
        expect(calls.structure).toBe(data === 'whole' ? count : 0);
        expect(calls.readHeader + calls.read).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('reads header blocks of the matches only for SORT keys that need them, and always for THREAD', async () => {
    const { mailbox, calls } = folder(50);
    const seen = parseSearchProgram([atom('SEEN')], { uid: false, esearchAllowed: false });
    await runSort(parseSortArguments([{ type: 'list', items: [atom('SIZE'), atom('ARRIVAL')] }, atom('UTF-8'), atom('SEEN')], { uid: false }).criteria, 'UTF-8', seen, mailbox);
    expect(calls.headersRead).toBe(0);
    await runSort(parseSortArguments([{ type: 'list', items: [atom('SUBJECT')] }, atom('UTF-8'), atom('SEEN')], { uid: false }).criteria, 'UTF-8', seen, mailbox);
    expect(calls.headersRead).toBe(25);
    await runThread('REFERENCES', seen, mailbox);
    expect(calls.headersRead).toBe(50);
    expect(calls.readAll + calls.structure).toBe(0);
  });
});
