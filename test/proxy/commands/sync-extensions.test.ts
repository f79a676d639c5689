/**
 * The pure parts of the sync extensions, checked against brute force on generated folders and
 * sets: VANISHED (EARLIER) sets, UID selection by ranges, ESORT's order-keeping sets and PARTIAL
 * windows, RETURN option parsing and mod-sequence values. The wire behaviour against Dovecot is
 * test/e2e/sync-extensions.test.ts.
 */
import fc from 'fast-check';
import { messageIndicesIn, vanishedUids } from '../../../src/proxy/commands/vanished.js';
import type { MessageRef, OpenMailbox } from '../../../src/proxy/ports.js';
import { parseModseq } from '../../../src/proxy/protocol/modseq.js';
import { parseSequenceSet, sequenceSetContains, type SequenceSet } from '../../../src/sequence-set.js';
import { formatOrderedSet, parseReturnOptions, renderSearchResponse, SearchError } from '../../../src/proxy/search/index.js';
import { tokenize } from '../search/harness.js';
import type { ImapServer } from '../../../src/proxy/server.js';
import { DAY, startTestServer, TestClient } from './fakes.js';

function folder(uids: number[], uidNext: number): OpenMailbox {
  const messages: MessageRef[] = uids.map((uid) => ({ uid, flags: [], internalDate: new Date(0), size: 1, blobHash: '' }));
  return { name: 'F', uidValidity: 1, uidNext, highestModseq: 7, flags: [], messages } as unknown as OpenMailbox;
}

/** Expands a sequence-set text such as "1:3,5" (what the server sends) into its numbers, in order. */
function expand(text: string): number[] {
  if (!text) return [];
  return text.split(',').flatMap((part) => {
    const [a, b = a] = part.split(':').map(Number);
    const out: number[] = [];
    if (a <= b) for (let n = a; n <= b; n++) out.push(n);
    else for (let n = a; n >= b; n--) out.push(n);
    return out;
  });
}

const uidsArbitrary = fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { maxLength: 30 }).map((uids) => uids.sort((a, b) => a - b));
const rangeArbitrary = fc.tuple(fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constant(null)), fc.oneof(fc.integer({ min: 1, max: 80 }), fc.constant(null)));
const setArbitrary = fc.array(rangeArbitrary, { minLength: 1, maxLength: 6 }).map((ranges): SequenceSet => ranges.map(([from, to]) => ({ from, to })));

describe('VANISHED (EARLIER)', () => {
  test('is every UID of the set below UIDNEXT that the folder lacks, as brute force finds', () => {
    fc.assert(
      fc.property(uidsArbitrary, fc.integer({ min: 0, max: 20 }), setArbitrary, (uids, extra, set) => {
        const uidNext = (uids.at(-1) ?? 0) + 1 + extra;
        const mailbox = folder(uids, uidNext);
        const largest = uids.at(-1) ?? 0;
        const expected: number[] = [];
        for (let uid = 1; uid < uidNext; uid++) if (!uids.includes(uid) && sequenceSetContains(set, uid, largest)) expected.push(uid);
        const answer = vanishedUids(mailbox, set);
        expect(expand(answer)).toEqual(expected);
        // Compact: no two ranges touch, so "1:2,3" never appears.
        expect(answer).toBe(formatOrderedSet(expected));
      }),
    );
  });

  test('drops what agreeing sequence-match pairs prove the client knows, and nothing when they disagree', () => {
    const mailbox = folder([1, 2, 4, 5, 6, 8, 9], 12);
    const all = parseSequenceSet('1:11')!;
    expect(vanishedUids(mailbox, all)).toBe('3,7,10:11');
    expect(vanishedUids(mailbox, all, { sequences: [1, 3, 5], uids: [1, 4, 6] })).toBe('7,10:11');
    expect(vanishedUids(mailbox, all, { sequences: [1, 3, 5], uids: [1, 3, 6] })).toBe('3,7,10:11');
    expect(vanishedUids(mailbox, all, { sequences: [2, 40], uids: [2, 50] })).toBe('3,7,10:11');
  });

  test('answers the whole UID space by ranges, without walking it', () => {
    const mailbox = folder([5, 100000], 0xffffffff);
    expect(vanishedUids(mailbox, parseSequenceSet('1:4294967295')!)).toBe('1:4,6:99999,100001:4294967294');
    expect(messageIndicesIn(mailbox, parseSequenceSet('1:4294967295')!)).toEqual([0, 1]);
  });

  test('messageIndicesIn selects exactly the messages whose UIDs the set names', () => {
    fc.assert(
      fc.property(uidsArbitrary, setArbitrary, (uids, set) => {
        const mailbox = folder(uids, 100);
        const largest = uids.at(-1) ?? 0;
        expect(messageIndicesIn(mailbox, set)).toEqual(uids.flatMap((uid, index) => (sequenceSetContains(set, uid, largest) ? [index] : [])));
      }),
    );
  });
});

describe('ESEARCH / ESORT answers', () => {
  test('an ordered set keeps the order and merges only ascending runs', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 50 }), { maxLength: 40 }), (values) => {
        const text = formatOrderedSet(values);
        expect(expand(text)).toEqual(values);
        // Maximal runs: no "n:n", and a part never continues the ascending run of the one before.
        const parts = text ? text.split(',').map((part) => part.split(':').map(Number)) : [];
        for (const [index, part] of parts.entries()) {
          if (part.length === 2) expect(part[1]).toBeGreaterThan(part[0]);
          if (index > 0) expect(part[0]).not.toBe(parts[index - 1].at(-1)! + 1);
        }
      }),
    );
    expect(formatOrderedSet([3, 6, 1, 4, 5, 2])).toBe('3,6,1,4:5,2');
  });

  test('PARTIAL answers the window of the result, NIL past its end, with MIN/MAX first and COUNT after', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: 30 }), { maxLength: 30 }), fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 40 }), (order, a, b) => {
        const mailbox = folder(Array.from({ length: 30 }, (_, i) => i + 1), 31);
        const first = Math.min(a, b);
        const last = Math.max(a, b);
        const program = { key: { kind: 'all' as const }, charset: 'UTF-8' as const, uid: false, returnOptions: ['MIN' as const, 'COUNT' as const], partial: { first, last } };
        const line = renderSearchResponse(program, order, mailbox, { uid: false, tag: 'x', sorting: true });
        const window = order.slice(first - 1, last);
        const expectedPartial = `PARTIAL (${first}:${last} ${window.length ? formatOrderedSet(window) : 'NIL'})`;
        expect(line).toBe(`* ESEARCH (TAG "x")${order.length ? ` MIN ${order[0]}` : ''} ${expectedPartial} COUNT ${order.length}`);
      }),
    );
  });

  test('RETURN options: PARTIAL ranges are positive and may come backwards; ALL and a second PARTIAL are refused', () => {
    const parse = (text: string) => parseReturnOptions(tokenize(text)[0]);
    expect(parse('(PARTIAL 5:2 COUNT)')).toEqual({ returnOptions: ['COUNT'], partial: { first: 2, last: 5 } });
    expect(parse('()')).toEqual({ returnOptions: ['ALL'] });
    expect(parse('(CONTEXT)')).toEqual({ returnOptions: ['ALL'] });
    expect(parse('(UPDATE)')).toEqual({ returnOptions: [], update: true });
    for (const bad of ['(PARTIAL 1:2 ALL)', '(PARTIAL 0:3)', '(PARTIAL 1:2 PARTIAL 3:4)', '(PARTIAL)', '(PARTIAL 1:*)', '(PARTIAL -1:-5)', '(SAVE)', '(PARTIAL 1:99999999999)']) {
      expect(() => parse(bad)).toThrow(SearchError);
    }
  });
});

describe('mod-sequence values', () => {
  test('are decimal numbers below 2^63, 0 included; anything else is refused', () => {
    expect(parseModseq('0')).toBe(0n);
    expect(parseModseq('9223372036854775807')).toBe(9223372036854775807n);
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }), (value) => {
        expect(parseModseq(value.toString())).toBe(value);
      }),
    );
    for (const bad of ['9223372036854775808', '-1', '1e3', '', ' 1', '0x10', '99999999999999999999']) expect(parseModseq(bad)).toBeNull();
  });
});

describe('over a session (fake views)', () => {
  let server: ImapServer;
  let port: number;
  beforeAll(async () => {
    ({ server, port } = await startTestServer());
  });
  afterAll(async () => {
    await server.close();
  });

  async function selected(): Promise<TestClient> {
    const client = await TestClient.connect(port);
    await client.command('l', 'LOGIN alice secret');
    await client.command('e', 'ENABLE QRESYNC');
    await client.command('s', `EXAMINE "${DAY}/INBOX"`);
    return client;
  }

  test('UPDATE requests are bounded: past ten the search is answered with NO [NOUPDATE] and not registered', async () => {
    const client = await selected();
    for (let i = 0; i < 10; i++) expect((await client.command(`u${i}`, 'SEARCH RETURN (UPDATE COUNT) ALL')).at(-1)).toMatch(/OK/);
    const eleventh = await client.command('u10', 'SEARCH RETURN (UPDATE COUNT) ALL');
    expect(eleventh).toEqual(['* NO [NOUPDATE "u10"] Too many active updates', '* ESEARCH (TAG "u10") COUNT 3', 'u10 OK SEARCH completed']);
    expect((await client.command('c1', 'CANCELUPDATE "u10"')).at(-1)).toMatch(/^c1 NO/);
    expect((await client.command('c2', 'CANCELUPDATE "u0" "u9"')).at(-1)).toBe('c2 OK Updates cancelled');
    expect((await client.command('u0', 'SEARCH RETURN (UPDATE) ALL')).at(-1)).toMatch(/^u0 OK/);
    expect((await client.command('u1', 'SEARCH RETURN (UPDATE) ALL')).at(-1)).toMatch(/^u1 BAD/); // still active
    // Leaving the mailbox ends every update.
    await client.command('x', 'UNSELECT');
    await client.command('s', `EXAMINE "${DAY}/INBOX"`);
    expect((await client.command('c3', 'CANCELUPDATE "u1"')).at(-1)).toMatch(/^c3 NO/);
    client.end();
  });

  test('a QRESYNC resync over the whole UID space lists the gaps by ranges and fetches every message', async () => {
    const client = await selected();
    const lines = await client.command('q', `EXAMINE "${DAY}/INBOX" (QRESYNC (1700000000 41 1:4294967295))`);
    expect(lines.filter((line) => /VANISHED|FETCH/.test(line))).toEqual([
      '* VANISHED (EARLIER) 1:2,4:6,8',
      '* 1 FETCH (UID 3 FLAGS (\\Seen) MODSEQ (42))',
      '* 2 FETCH (UID 7 FLAGS () MODSEQ (42))',
      '* 3 FETCH (UID 9 FLAGS (\\Seen \\Flagged) MODSEQ (42))',
    ]);
    expect(lines.at(-1)).toMatch(/^q OK \[READ-ONLY\]/);
    // Sequence-match data: seqs 1,2 agree (UIDs 3, 7), seq 3 is not UID 8: only what lies above 7 is reported.
    const matched = await client.command('m', `EXAMINE "${DAY}/INBOX" (QRESYNC (1700000000 41 1:4294967295 (1:3 3,7:8)))`);
    expect(matched.filter((line) => line.includes('VANISHED'))).toEqual(['* VANISHED (EARLIER) 8']);
    // Pairs that agree all the way: the client knows every gap.
    const known = await client.command('k', `EXAMINE "${DAY}/INBOX" (QRESYNC (1700000000 41 1:9 (1:3 3,7,9)))`);
    expect(known.filter((line) => line.includes('VANISHED'))).toEqual([]);
    // At the folder's own HIGHESTMODSEQ nothing changed: no VANISHED, no FETCH.
    const current = await client.command('c', `EXAMINE "${DAY}/INBOX" (QRESYNC (1700000000 42 1:9))`);
    expect(current.filter((line) => /VANISHED|FETCH/.test(line))).toEqual([]);
    client.end();
  });

  test('a malformed SELECT parameter closes the selected mailbox first, as QRESYNC requires', async () => {
    const client = await selected();
    expect(await client.command('b', `EXAMINE "${DAY}/INBOX" (QRESYNC (1700000000 x))`)).toEqual([
      '* OK [CLOSED] Previous mailbox closed',
      'b BAD Invalid QRESYNC parameters',
    ]);
    expect((await client.command('f', 'FETCH 1 FLAGS')).at(-1)).toMatch(/^f BAD/);
    client.end();
  });
});
