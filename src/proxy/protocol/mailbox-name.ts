/**
 * Mailbox names on the wire: modified UTF-7 (RFC 3501 §5.1.3) unless the client enabled
 * UTF8=ACCEPT (RFC 6855), in which case they are plain UTF-8. Internally names are always UTF-8.
 */

/** UTF-8 → modified UTF-7: printable ASCII as is (`&` as `&-`), the rest as `&<base64 of UTF-16BE>-`. */
export function encodeModifiedUtf7(name: string): string {
  let out = '';
  let pending = '';
  const flush = (): void => {
    if (!pending) return;
    const utf16 = Buffer.alloc(pending.length * 2);
    for (let i = 0; i < pending.length; i++) utf16.writeUInt16BE(pending.charCodeAt(i), i * 2);
    out += '&' + utf16.toString('base64').replace(/=+$/, '').replace(/\//g, ',') + '-';
    pending = '';
  };
  for (const char of name) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 && code <= 0x7e) {
      flush();
      out += char === '&' ? '&-' : char;
    } else {
      pending += char;
    }
  }
  flush();
  return out;
}

/** Modified UTF-7 → UTF-8; null when the text is not valid modified UTF-7. */
export function decodeModifiedUtf7(text: string): string | null {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    const code = char.charCodeAt(0);
    if (code < 0x20 || code > 0x7e) return null;
    if (char !== '&') {
      out += char;
      continue;
    }
    const end = text.indexOf('-', i + 1);
    if (end < 0) return null;
    const encoded = text.slice(i + 1, end);
    i = end;
    if (encoded === '') {
      out += '&';
      continue;
    }
    if (!/^[A-Za-z0-9+,]+$/.test(encoded)) return null;
    const bytes = Buffer.from(encoded.replace(/,/g, '/'), 'base64');
    if (bytes.length % 2 !== 0) return null;
    for (let j = 0; j < bytes.length; j += 2) out += String.fromCharCode(bytes.readUInt16BE(j));
  }
  return out;
}

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
