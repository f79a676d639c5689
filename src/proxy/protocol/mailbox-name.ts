/**
 * Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3) unless the client enabled
 * UTF8=ACCEPT (RFC 6855), in which case they are plain UTF-8. Internally names are always UTF-8.
 */
import { decodeModifiedUtf7, encodeModifiedUtf7 } from '../../mail/utf7.js';

/**
 * `INBOX` is case-insensitive (RFC 3501 §5.1), and so is the `INBOX` at the start of a sub-name —
 * in ASCII only, as src/snapshots/walk/mailbox-path.ts rules for folders: `ınbox` (dotless ı)
 * upper-cases to INBOX in JavaScript but is another folder.
 */
export function normaliseMailboxName(name: string, delimiter = '/'): string {
  if (!/^inbox/i.test(name)) return name;
  if (name.length === 5) return 'INBOX';
  return name.slice(5, 5 + delimiter.length) === delimiter ? 'INBOX' + name.slice(5) : name;
}

/** A mailbox name as the client sent it → UTF-8; null when it is not valid in the session's mode. */
export function mailboxNameFromWire(raw: Buffer, utf8Enabled: boolean): string | null {
  const text = raw.toString('utf8');
  if (text.includes('\uFFFD')) return null;
  // Raw 8-bit names from clients that did not ENABLE UTF8=ACCEPT are taken as UTF-8 (lenient).
  const name = utf8Enabled || /[^\x00-\x7f]/.test(text) ? text : decodeModifiedUtf7(text);
  return name === null ? null : normaliseMailboxName(name);
}

/** A UTF-8 mailbox name → the text to send in the session's mode. */
export function mailboxNameToWire(name: string, utf8Enabled: boolean): string {
  return utf8Enabled ? name : encodeModifiedUtf7(name);
}
