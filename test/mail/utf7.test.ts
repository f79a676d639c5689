/** Modified UTF-7 (RFC 3501 §5.1.3): the codec beside src/mail/utf7.ts. */
import fc from 'fast-check';
import { decodeModifiedUtf7, encodeModifiedUtf7 } from '../../src/mail/utf7.js';

describe('modified UTF-7 mailbox names', () => {
  test('encodes the RFC 3501 example and ampersands', () => {
    expect(encodeModifiedUtf7('~peter/mail/台北/日本語')).toBe('~peter/mail/&U,BTFw-/&ZeVnLIqe-');
    expect(encodeModifiedUtf7('Tom & Jerry')).toBe('Tom &- Jerry');
    expect(encodeModifiedUtf7('Café')).toBe('Caf&AOk-');
  });

  test('decodes what it encodes, for any text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme' }), (name) => decodeModifiedUtf7(encodeModifiedUtf7(name)) === name));
  });

  test('rejects malformed input', () => {
    expect(decodeModifiedUtf7('&U,BTFw')).toBeNull();
    expect(decodeModifiedUtf7('&!!-')).toBeNull();
  });

  test('round trips any UTF-16 text, lone surrogates included, through printable ASCII', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 20 }), (text, units) => {
        const name = text + String.fromCharCode(...units);
        const wire = encodeModifiedUtf7(name);
        expect(/^[\x20-\x7e]*$/.test(wire)).toBe(true);
        expect(decodeModifiedUtf7(wire)).toBe(name);
      }),
    );
  });

  test('garbage never throws: it decodes or is refused', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary-ascii', maxLength: 60 }), (text) => {
      const decoded = decodeModifiedUtf7(text);
      expect(decoded === null || typeof decoded === 'string').toBe(true);
    }));
    // leniency kept: a base64 run holding plain ASCII still decodes
    expect(decodeModifiedUtf7('&AGEAYg-')).toBe('ab');
  });
});
