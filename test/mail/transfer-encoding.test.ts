/** The one Content-Transfer-Encoding decoder (src/mail/transfer-encoding.ts), for FETCH BINARY and SEARCH alike. */
import fc from 'fast-check';
import { encode as encodeQp, wrap as wrapQp } from 'nodemailer/lib/qp/index.js';
import {
  canDecodeTransferEncoding,
  decodeBase64Body,
  decodeQuotedPrintable,
  decodeTransferEncoding,
  keepsBodyBytes,
  parseTransferEncoding,
  TRANSFER_ENCODING_UNKNOWN,
} from '../../src/mail/transfer-encoding.js';

const latin1 = (text: string): Buffer => Buffer.from(text, 'latin1');
const bytes = fc.uint8Array({ maxLength: 600 }).map((array) => Buffer.from(array));

describe('base64', () => {
  test('decodes what any base64 encoder wrote, wrapped at any width with CRLF or LF', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 4, max: 120 }), fc.constantFrom('\r\n', '\n'), (data, width, newline) => {
        const encoded = data.toString('base64');
        const lines: string[] = [];
        for (let i = 0; i < encoded.length; i += width) lines.push(encoded.slice(i, i + width));
        const body = latin1(lines.join(newline) + newline);
        expect(decodeTransferEncoding(body, 'base64').equals(data)).toBe(true);
        expect(decodeTransferEncoding(body, ' BASE64 ').equals(data)).toBe(true);
      }),
    );
  });

  test('stops at padding or at a character outside the alphabet, keeping what came before (Dovecot)', () => {
    expect(decodeBase64Body(latin1('YWJj\r\nZGVm\r\n')).toString()).toBe('abcdef');
    expect(decodeBase64Body(latin1('YQ==YmM=')).toString()).toBe('a');
    expect(decodeBase64Body(latin1('YWJj\r\n-- \r\nsignature')).toString()).toBe('abc');
    expect(decodeBase64Body(latin1(' \tYW Jj\r\n')).toString()).toBe('abc');
  });
});

describe('quoted-printable', () => {
  test('decodes what an independent encoder (nodemailer) wrote, soft line breaks included', () => {
    fc.assert(
      fc.property(bytes, fc.integer({ min: 4, max: 76 }), (data, width) => {
        const body = latin1(wrapQp(encodeQp(data), width));
        expect(decodeQuotedPrintable(body).equals(data)).toBe(true);
      }),
    );
  });

  test('reads text as Dovecot’s qp-decoder does', () => {
    const cases: Array<[string, string]> = [
      ['caf=C3=A9', 'caf\xc3\xa9'],
      ['lower =c3=a9 hex', 'lower \xc3\xa9 hex'],
      ['soft=\r\nbreak', 'softbreak'],
      ['soft= \t\r\nbreak', 'softbreak'],
      ['soft=\nbreak', 'softbreak'],
      ['trailing  \t\r\nblanks', 'trailing\r\nblanks'],
      ['a = b', 'a = b'],
      ['bad =ZZ', 'bad =ZZ'],
      ['half =4', 'half =4'],
      ['end=', 'end='],
      ['end= ', 'end= '],
      ['==\r\n41', '=41'],
      ['cr=\rx', 'cr=\rx'],
    ];
    for (const [input, output] of cases) expect([input, decodeQuotedPrintable(latin1(input)).toString('latin1')]).toEqual([input, output]);
  });
});

test('garbage never throws, never grows, and costs one linear pass', () => {
  const piece = fc.constantFrom('=', '= ', '=\r', '=\n', '=\r\n', '=4', '=41', ' ', '\t', '\r', '\n', 'QUJD', '==', '-', 'é');
  const garbage = fc.oneof(bytes, fc.array(piece, { maxLength: 200 }).map((pieces) => latin1(pieces.join(''))));
  fc.assert(
    fc.property(garbage, fc.constantFrom('base64', 'quoted-printable', '7bit', 'x-uuencode', ''), (body, encoding) => {
      const decoded = decodeTransferEncoding(body, encoding);
      expect(decoded.length).toBeLessThanOrEqual(body.length);
      if (keepsBodyBytes(encoding)) expect(decoded).toBe(body);
    }),
  );
  for (const hostile of ['= '.repeat(500_000), ' '.repeat(1_000_000) + 'x', '=4'.repeat(500_000), '!'.repeat(1_000_000)]) {
    const started = process.hrtime.bigint();
    decodeQuotedPrintable(latin1(hostile));
    decodeBase64Body(latin1(hostile));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
  }
});

test('a Content-Transfer-Encoding value is read as Dovecot’s message decoder reads it', () => {
  expect(parseTransferEncoding('Base64')).toBe('base64');
  expect(parseTransferEncoding(' (comment) quoted-printable ')).toBe('quoted-printable');
  expect(parseTransferEncoding('base64; x=y')).toBe('base64');
  expect(parseTransferEncoding('base64 junk')).toBe(TRANSFER_ENCODING_UNKNOWN);
  expect(parseTransferEncoding('')).toBe(TRANSFER_ENCODING_UNKNOWN);
  expect(parseTransferEncoding('x-uuencode')).toBe(TRANSFER_ENCODING_UNKNOWN);
});

test('BINARY can undo the identity encodings, base64 and quoted-printable, nothing else', () => {
  for (const encoding of [null, undefined, '', '7bit', '8BIT', 'binary', 'Base64', 'quoted-printable']) expect(canDecodeTransferEncoding(encoding)).toBe(true);
  for (const encoding of ['x-uuencode', 'base64 junk', 'x-unknown']) expect(canDecodeTransferEncoding(encoding)).toBe(false);
});
