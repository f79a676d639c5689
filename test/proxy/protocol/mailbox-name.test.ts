import fc from 'fast-check';
import {
  decodeModifiedUtf7,
  encodeModifiedUtf7,
  mailboxNameFromWire,
  mailboxNameToWire,
} from '../../../src/proxy/protocol/mailbox-name.js';

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

  test('wire form depends on UTF8=ACCEPT and INBOX is case-insensitive', () => {
    expect(mailboxNameToWire('Café', false)).toBe('Caf&AOk-');
    expect(mailboxNameToWire('Café', true)).toBe('Café');
    expect(mailboxNameFromWire(Buffer.from('Caf&AOk-'), false)).toBe('Café');
    expect(mailboxNameFromWire(Buffer.from('Café'), true)).toBe('Café');
    expect(mailboxNameFromWire(Buffer.from('inbox'), false)).toBe('INBOX');
    expect(mailboxNameFromWire(Buffer.from('Inbox/Sub'), false)).toBe('INBOX/Sub');
  });

  test('INBOX is case-insensitive in ASCII only: look-alikes stay names of their own', () => {
    for (const name of ['ınbox', 'ınbox/Sub', 'İnbox', 'Inboxes', 'INBOXSub', 'Archive/inbox']) expect(mailboxNameFromWire(Buffer.from(name), true)).toBe(name);
    expect(mailboxNameFromWire(Buffer.from('iNbOx'), true)).toBe('INBOX');
  });
});
