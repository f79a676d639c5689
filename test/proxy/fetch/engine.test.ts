/**
 * The FETCH engine loads what the requested items need and nothing more (the item table in
 * render.ts), reads header blocks in batches, and streams the same bytes as rendering each message
 * on its own. Requests are random mixes of items over a folder of short and long messages.
 */
import { Readable } from 'node:stream';
import fc from 'fast-check';
import pino from 'pino';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import { streamFetch } from '../../../src/proxy/fetch/engine.js';
import { renderFetch } from '../../../src/proxy/fetch/render.js';
import { parseFetchItems } from '../../../src/proxy/fetch/request.js';
import type { MessageRef, OpenMailbox } from '../../../src/proxy/ports.js';
import type { ResponsePiece } from '../../../src/proxy/protocol/response-piece.js';
import type { Token } from '../../../src/proxy/protocol/tokens.js';

const atom = (value: string, section?: Token[]): Token => ({ type: 'atom', value, section });

/** Each item with what it must load: nothing (index), the structure, the header block, or message bytes. */
const ITEMS: Array<{ token: Token; structure: 'always' | 'long' | 'never'; header: boolean; bytes: boolean }> = [
  { token: atom('UID'), structure: 'never', header: false, bytes: false },
  { token: atom('FLAGS'), structure: 'never', header: false, bytes: false },
  { token: atom('INTERNALDATE'), structure: 'never', header: false, bytes: false },
  { token: atom('RFC822.SIZE'), structure: 'never', header: false, bytes: false },
  { token: atom('MODSEQ'), structure: 'never', header: false, bytes: false },
  { token: atom('ENVELOPE'), structure: 'always', header: false, bytes: false },
  { token: atom('BODY'), structure: 'always', header: false, bytes: false },
  { token: atom('BODYSTRUCTURE'), structure: 'always', header: false, bytes: false },
  { token: atom('BODY.PEEK', [atom('HEADER')]), structure: 'never', header: true, bytes: false },
  { token: atom('BODY.PEEK', [atom('HEADER.FIELDS'), { type: 'list', items: [atom('SUBJECT')] }]), structure: 'never', header: true, bytes: false },
  { token: atom('RFC822.HEADER'), structure: 'never', header: true, bytes: false },
  // BODY[] of a short message is one whole read, without the structure; a long one is streamed by range.
  { token: atom('BODY.PEEK', []), structure: 'long', header: false, bytes: true },
  { token: atom('BODY.PEEK', [atom('TEXT')]), structure: 'always', header: false, bytes: true },
  { token: atom('BODY.PEEK', [atom('1')]), structure: 'always', header: false, bytes: true },
  { token: atom('BINARY.PEEK', [atom('1')]), structure: 'always', header: false, bytes: true },
];

const SHORT = 'Subject: short\r\nFrom: a@example.org\r\n\r\nHello\r\n';
const LONG = `Subject: long\r\nContent-Transfer-Encoding: base64\r\n\r\n${'QUJD\r\n'.repeat(20_000)}`;

function folder(count: number) {
  const texts = new Map<number, Buffer>();
  const messages: MessageRef[] = [];
  for (let uid = 1; uid <= count; uid++) {
    const text = Buffer.from(uid % 7 === 0 ? LONG : SHORT);
    texts.set(uid, text);
    messages.push({ uid, flags: uid % 2 ? ['\\Seen'] : [], internalDate: new Date(Date.UTC(2026, 10, 23, 10, 0, uid)), size: text.length, blobHash: `h${uid}` });
  }
  const calls = { structure: 0, readHeader: 0, readHeaders: 0, headersRead: 0, read: 0, readAll: 0 };
  const bytes = (ref: MessageRef) => texts.get(ref.uid)!;
  const mailbox: OpenMailbox = {
    name: 'INBOX',
    uidValidity: 1,
    uidNext: count + 1,
    highestModseq: 1,
    flags: ['\\Seen'],
    messages,
    structure: async (ref) => {
      calls.structure++;
      return analyzeMessage(bytes(ref));
    },
    readHeader: async (ref) => {
      calls.readHeader++;
      return bytes(ref).subarray(0, bytes(ref).indexOf('\r\n\r\n') + 4);
    },
    readHeaders: async (refs) => {
      calls.readHeaders++;
      calls.headersRead += refs.length;
      return refs.map((ref) => bytes(ref).subarray(0, bytes(ref).indexOf('\r\n\r\n') + 4));
    },
    read: (ref, start = 0, end) => {
      calls.read++;
      return Readable.from([bytes(ref).subarray(start, end)]);
    },
    readAll: async (ref) => {
      calls.readAll++;
      return bytes(ref);
    },
  };
  return { mailbox, calls };
}

async function collect(pieces: ResponsePiece[]): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (const piece of pieces) {
    if (Buffer.isBuffer(piece)) parts.push(piece);
    else for await (const chunk of piece.open()) parts.push(Buffer.from(chunk as Buffer));
  }
  return Buffer.concat(parts);
}

const log = pino({ level: 'silent' });

describe('FETCH engine', () => {
  it('loads only what the requested items need, header blocks in batches, and sends what rendering each message gives', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 0, max: ITEMS.length - 1 }), { minLength: 1, maxLength: 5 }), fc.integer({ min: 1, max: 600 }), async (chosen, count) => {
        const items = chosen.map((index) => ITEMS[index]);
        const request = parseFetchItems([{ type: 'list', items: items.map((item) => item.token) }]);
        const { mailbox, calls } = folder(count);
        const sequences = mailbox.messages.map((_message, index) => index + 1);
        const written: ResponsePiece[] = [];
        const outcome = await streamFetch({ write: async (pieces) => void written.push(...pieces), log }, mailbox, sequences, request, { uid: false });
        expect(outcome).toEqual({ kind: 'sent' });

        const long = mailbox.messages.filter((message) => message.uid % 7 === 0).length;
        const structures = items.some((item) => item.structure === 'always') ? count : items.some((item) => item.structure === 'long') ? long : 0;
        expect(calls.structure).toBe(structures);
        const headers = items.some((item) => item.header);
        expect(calls.readHeaders).toBe(headers ? Math.ceil(count / 256) : 0);
        expect(calls.headersRead).toBe(headers ? count : 0);
        expect(calls.readHeader).toBe(0);
        if (!items.some((item) => item.bytes)) expect(calls.read + calls.readAll).toBe(0);

        const expected: Buffer[] = [];
        for (const sequence of sequences) expected.push(await collect(await renderFetch(sequence, mailbox.messages[sequence - 1], mailbox, request, { uid: false })));
        expect((await collect(written)).equals(Buffer.concat(expected))).toBe(true);
      }),
      { numRuns: 40 },
    );
  });
});
