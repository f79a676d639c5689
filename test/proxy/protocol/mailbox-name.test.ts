import { mailboxNameFromWire, mailboxNameToWire } from '../../../src/proxy/protocol/mailbox-name.js';

describe('mailbox names on the wire', () => {
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
