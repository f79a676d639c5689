/**
 * The SEARCH fast paths (the raw-byte prefilter of header keys, the part-by-part and byte-level
 * BODY/TEXT matcher) must answer exactly what the plain definition answers: header values decoded
 * and folded one field at a time, BODY/TEXT segments built whole. Messages are assembled from
 * fragments chosen to break a careless shortcut — folds, blanks before a colon, encoded words, 8-bit
 * headers, base64/quoted-printable/UTF-7 bodies, address lists that the normal form rewrites — and
 * needles are cut from the very text they are compared with, so that matches do happen.
 */
import fc from 'fast-check';
import { AsciiNeedle } from '../../../src/proxy/search/ascii-search.js';
import { parseAddressList, writeAddressList } from '../../../src/proxy/search/address.js';
import { matchesKey } from '../../../src/proxy/search/evaluate.js';
import { MessageContent } from '../../../src/proxy/search/message-content.js';
import type { HeaderMatch, SearchKey } from '../../../src/proxy/search/program.js';
import { foldForSearch } from '../../../src/proxy/search/text.js';
import { decodeHeaderValue, decodesAsciiUnchanged } from '../../../src/mail/header-text.js';
import type { MessageRef } from '../../../src/proxy/ports.js';
import { analyzeMessage } from '../../../src/mail/analyze.js';
import type { MessageStructure } from '../../../src/mail/structure.js';

const HEADER_LINES = [
  'Subject: Thread 42: Regards mailbox backup',
  'Subject  : Thread\r\n 42:\tfolded  value',
  'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe_Thread_42:?= tail',
  'Subject: =?ISO-8859-1?B?VmFjYXRpb24gaG9saWRheQ==?=',
  'Subject: Grüße straße ﬁle Ｔｈｒｅａｄ ǅ',
  'From: Carol Chen <carol@mail.example.net>',
  'From: carol@example.net (Carol "Quoted" Chen)',
  'From: "Chen, Carol" <carol@example.net>',
  'From: "Ca\\rol\\ Ch\\en" <x@y.example>',
  'From: undisclosed-recipients:;',
  'From: carol',
  'From: <@route.example,@other.example:carol@example.net>',
  'From: =?UTF-8?Q?Car=C3=B6l?= <c@example.net>',
  'From: car(comment)ol@exa (c) mple . net',
  'From: Zoë Ünïcode <zoe@example.net>',
  'To: friends: carol@example.net, dave@example.org;',
  'To: "O\'Neil, Pat" <oneil@example.com>,\r\n\tcarol@example.net',
  'Cc: "" <@example.com>, <>, Carol <carol@[10.0.0.1]>',
  'X-Tag: value with  double  spaces\r\n  and a fold',
  'X-Tag:no-blank-after-colon',
  'X-Tag : blank before the colon',
  'Junk line without colon',
  'Message-ID: <t488.3.7@test.invalid>',
];

const BODIES = [
  'Content-Type: text/plain; charset=us-ascii\r\n\r\nvacation holiday and VACATION\r\n HOLIDAY, Thread 42: regards.\r\n',
  'Content-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nvaca=\r\ntion holi=64ay caf=C3=A9\r\n',
  `Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n${Buffer.from('vacation holiday Zürich ﬁne').toString('base64')}\r\n`,
  'Content-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCaf\xe9 vacation\xa0holiday\r\n',
  'Content-Type: text/plain; charset=utf-7\r\n\r\n+AHY-acation holiday +AFQ-hread 42:\r\n',
  'Content-Type: text/plain; charset="windows-1252"\r\nContent-Transfer-Encoding: base(comment)64\r\n\r\nvacation holiday\r\n',
  'Content-Type: application/octet-stream\r\n\r\nvacation holiday in an attachment\r\n',
  'Content-Type: text/html\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<p>vacation <b>holiday</b></p>\r\n',
  'Content-Type: message/rfc822\r\n\r\nSubject: inner Thread 42:\r\nFrom: carol@inner.example\r\n\r\ninner vacation holiday\r\n',
];

/** latin1: every char one byte, so "\xe9" above is the byte 0xE9 while UTF-8 text stays UTF-8. */
function bytesOf(text: string): Buffer {
  // eslint-disable-next-line no-control-regex
  return /[^\x00-\xff]/.test(text) ? Buffer.from(text, 'utf8') : Buffer.from(text, 'latin1');
}

function assemble(headers: string[], bodies: string[], multipart: boolean, bareLf: boolean): Buffer {
  const head = Buffer.concat(headers.map((line) => Buffer.concat([bytesOf(line), Buffer.from('\r\n')])));
  let rest: Buffer;
  if (!multipart) {
    const [first = 'Content-Type: text/plain\r\n\r\nplain body\r\n'] = bodies;
    rest = bytesOf(first);
  } else {
    const parts = bodies.map((body) => Buffer.concat([Buffer.from('--b1\r\n'), bytesOf(body)]));
    rest = Buffer.concat([Buffer.from('Content-Type: multipart/mixed; boundary=b1\r\n\r\npreamble\r\n'), ...parts, Buffer.from('--b1--\r\n')]);
  }
  const raw = Buffer.concat([head, rest]);
  return bareLf ? Buffer.from(raw.toString('latin1').replace(/\r\n/g, '\n'), 'latin1') : raw;
}

const REF: MessageRef = { uid: 1, flags: [], internalDate: new Date(0), size: 0, blobHash: '' };
const FOLDER = { count: 1, largestUid: 1 };

/** The definition of a header key, without the prefilter. */
function headerReference(message: MessageContent, field: string, value: string, match: HeaderMatch): boolean {
  const fields = message.headerFields().filter((candidate) => candidate.name.toLowerCase() === field.toLowerCase());
  if (fields.length === 0) return false;
  const wanted = foldForSearch(value);
  if (value === '' || !wanted) return value === '';
  return fields.some((candidate) => {
    const text = candidate.value.toString('utf8');
    const written =
      match === 'address'
        ? writeAddressList(parseAddressList(text))
        : match === 'compressed'
          ? text.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+/g, ' ')
          : candidate.value;
    return foldForSearch(decodeHeaderValue(written)).includes(wanted);
  });
}

/** The definition of BODY/TEXT: whole segments, decoded and folded. */
function textReference(message: MessageContent, scope: 'body' | 'text', value: string): boolean {
  const wanted = foldForSearch(value);
  if (!wanted) return value === '';
  return message.textSegments(scope).some((segment) => segment.includes(wanted));
}

interface Sample {
  raw: Buffer;
  structure: MessageStructure;
}

/** Needles cut from what the keys compare (and from the raw bytes), with case and blanks varied. */
function needlesFor(sample: Sample, pick: (n: number) => number): string[] {
  const content = new MessageContent(REF, 1, sample.raw, sample.structure);
  const sources = [
    ...content.textSegments('text'),
    ...content.headerFields().map((field) => decodeHeaderValue(field.value)),
    ...content.headerFields().map((field) => writeAddressList(parseAddressList(field.value.toString('utf8')))),
    sample.raw.toString('utf8'),
  ].filter((text) => text.length > 0);
  const needles = ['carol', 'Thread 42:', 'vacation holiday', 'VACATION HOLIDAY', 'subject:', 'x-tag:no', 'missing_domain', '"chen, carol"', "o\\'neil", 'ﬁ', 'ß', 'é', ' '];
  for (let i = 0; i < 24; i++) {
    const source = sources[pick(sources.length)];
    const start = pick(source.length);
    let needle = source.slice(start, start + 1 + pick(24));
    if (pick(2)) needle = needle.toLowerCase();
    if (pick(4) === 0) needle = needle.replace(' ', '  ');
    needles.push(needle);
  }
  return needles;
}

const KEYS: Array<(value: string) => SearchKey> = [
  (value) => ({ kind: 'header', field: 'Subject', value, match: 'compressed' }),
  (value) => ({ kind: 'header', field: 'From', value, match: 'address' }),
  (value) => ({ kind: 'header', field: 'To', value, match: 'address' }),
  (value) => ({ kind: 'header', field: 'Cc', value, match: 'address' }),
  (value) => ({ kind: 'header', field: 'X-Tag', value, match: 'plain' }),
  (value) => ({ kind: 'header', field: '', value, match: 'plain' }),
  (value) => ({ kind: 'text', scope: 'body', value }),
  (value) => ({ kind: 'text', scope: 'text', value }),
];

function reference(key: SearchKey, sample: Sample, headerOnly: boolean): boolean {
  if (key.kind === 'text') return textReference(new MessageContent(REF, 1, sample.raw, sample.structure), key.scope, key.value);
  if (key.kind !== 'header') throw new Error('unexpected key');
  const raw = headerOnly ? sample.raw.subarray(0, sample.structure.headerLength) : sample.raw;
  return headerReference(new MessageContent(REF, 1, raw, headerOnly ? undefined : sample.structure), key.field, key.value, key.match);
}

function fast(key: SearchKey, sample: Sample, headerOnly: boolean): boolean {
  const raw = headerOnly ? sample.raw.subarray(0, sample.structure.headerLength) : sample.raw;
  return matchesKey(key, new MessageContent(REF, 1, raw, headerOnly ? undefined : sample.structure), FOLDER);
}

describe('SEARCH fast paths', () => {
  it('answer like the definitions for every key, message and needle', async () => {
    const messages = fc.record({
      headers: fc.subarray(HEADER_LINES, { minLength: 1 }),
      bodies: fc.subarray(BODIES, { minLength: 1 }),
      multipart: fc.boolean(),
      bareLf: fc.boolean(),
      seed: fc.integer(),
    });
    let matched = 0;
    await fc.assert(
      fc.asyncProperty(messages, async ({ headers, bodies, multipart, bareLf, seed }) => {
        const raw = assemble(headers, bodies, multipart, bareLf);
        const sample = { raw, structure: await analyzeMessage(raw) };
        let state = seed >>> 0;
        const pick = (n: number) => {
          state = (Math.imul(state, 1103515245) + 12345) >>> 0;
          return n <= 1 ? 0 : state % n;
        };
        for (const needle of needlesFor(sample, pick)) {
          for (const makeKey of KEYS) {
            const key = makeKey(needle);
            for (const headerOnly of key.kind === 'header' ? [true, false] : [false]) {
              const expected = reference(key, sample, headerOnly);
              if (expected) matched++;
              const got = fast(key, sample, headerOnly);
              if (got !== expected) throw new Error(`${JSON.stringify(key)} (header only: ${headerOnly}) on ${JSON.stringify(raw.toString('latin1'))}: ${got}, expected ${expected}`);
            }
          }
        }
      }),
      { numRuns: 300 },
    );
    // The comparison means something only if matches do happen.
    expect(matched).toBeGreaterThan(1000);
  });

  it('finds an unterminated header and a header-only message like the definition', async () => {
    for (const text of ['Subject: Thread 42: x\r\nFrom: carol@example.net', 'Subject: vacation\r\n holiday\r\n', 'X-Tag: a\r\n\r\n']) {
      const raw = Buffer.from(text);
      const sample = { raw, structure: await analyzeMessage(raw) };
      for (const needle of ['thread 42:', 'vacation holiday', 'vacation\r\n holiday', 'carol', 'example.net', 'x-tag: a']) {
        for (const makeKey of KEYS) {
          const key = makeKey(needle);
          expect([key, fast(key, sample, false)]).toEqual([key, reference(key, sample, false)]);
        }
      }
    }
  });
});

describe('AsciiNeedle', () => {
  it('finds what upper-cased includes finds, in any window of the bytes', () => {
    const text = fc.array(fc.constantFrom('a', 'A', 'b', 'B', 'ab', 'aB', ' ', ':', '@', 'z', 'Z', '['), { maxLength: 40 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(text, text, fc.nat(), fc.nat(), (haystack, needle, from, to) => {
        const search = AsciiNeedle.compile(needle);
        if (needle.length === 0 || needle.length > 32) return expect(search).toBeNull();
        const bytes = Buffer.from(haystack, 'latin1');
        const start = Math.min(from % (bytes.length + 1), bytes.length);
        const end = start + (to % (bytes.length - start + 1));
        expect(search!.foundIn(bytes, start, end)).toBe(haystack.slice(start, end).toUpperCase().includes(needle.toUpperCase()));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses non-ASCII needles', () => {
    expect(AsciiNeedle.compile('café')).toBeNull();
  });
});

describe('decodesAsciiUnchanged', () => {
  it('holds for UTF-8, unknown names and single-byte charsets, not for the others', () => {
    for (const charset of [undefined, '', 'UTF-8', 'us-ascii', 'x-no-such-charset', 'ISO-8859-1', 'iso-8859-15', 'windows-1252', 'koi8-r']) {
      expect([charset, decodesAsciiUnchanged(charset)]).toEqual([charset, true]);
    }
    for (const charset of ['utf-7', 'UTF-16', 'utf-16le', 'shift_jis', 'big5']) {
      expect([charset, decodesAsciiUnchanged(charset)]).toEqual([charset, false]);
    }
  });
});
