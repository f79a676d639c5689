/** Header and body text → Unicode (src/mail/header-text.ts): encoded words, charsets, comments. */
import fc from 'fast-check';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { decodeCharset, decodeHeaderValue, decodesAsciiUnchanged, replaceComments } from '../../src/mail/header-text.js';

test('RFC 2047 encoded words, B and Q, in any charset iconv knows; text around them kept', () => {
  expect(decodeHeaderValue('=?UTF-8?B?SsO2cmc=?= <j@x>')).toBe('Jörg <j@x>');
  expect(decodeHeaderValue('=?iso-8859-1?q?caf=E9?= au lait')).toBe('café au lait');
  expect(decodeHeaderValue('=?utf-8?q?a?= =?utf-8?q?b?=')).toBe('ab');
  expect(decodeHeaderValue(Buffer.from('raw 8-bit Jörg'))).toBe('raw 8-bit Jörg');
  expect(decodeHeaderValue('no words here')).toBe('no words here');
});

test('any word an encoder writes decodes back; garbage never throws', () => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.constantFrom<'B' | 'Q'>('B', 'Q'), (text, encoding) => {
      expect(decodeHeaderValue(libmime.encodeWords(text, encoding, 40))).toBe(text);
    }),
  );
  fc.assert(fc.property(fc.array(fc.constantFrom('=?', '?=', '?B?', '?Q?', 'utf-8', 'x', '=E9', '_', ' '), { maxLength: 20 }), (pieces) => {
    expect(typeof decodeHeaderValue(pieces.join(''))).toBe('string');
  }));
});

test('charsets: iconv ones decoded, unknown or absent ones as UTF-8', () => {
  expect(decodeCharset(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'ISO-8859-1')).toBe('café');
  expect(decodeCharset(iconv.encode('Grüße', 'windows-1252'), ' windows-1252 ')).toBe('Grüße');
  expect(decodeCharset(Buffer.from('Grüße'), 'x-no-such-charset')).toBe('Grüße');
  expect(decodeCharset(Buffer.from('Grüße'), undefined)).toBe('Grüße');
  expect(decodesAsciiUnchanged('iso-8859-15')).toBe(true);
  expect(decodesAsciiUnchanged(undefined)).toBe(true);
  expect(decodesAsciiUnchanged('utf-7')).toBe(false);
  expect(decodesAsciiUnchanged('shift_jis')).toBe(false);
});

test('replaceComments answers as /\\([^)]*\\)/g does, in linear time', () => {
  fc.assert(
    fc.property(fc.array(fc.constantFrom('(', ')', 'a', ' '), { maxLength: 40 }).map((p) => p.join('')), (value) => {
      expect(replaceComments(value, '#')).toBe(value.replace(/\([^)]*\)/g, '#'));
    }),
  );
  const started = process.hrtime.bigint();
  replaceComments('('.repeat(500_000), ' ');
  expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2000);
});
