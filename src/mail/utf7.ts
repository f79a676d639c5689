/**
 * Modified UTF-7 (RFC 3501 §5.1.3), the wire form of mailbox names for clients without UTF8=ACCEPT.
 * Encoding goes through iconv-lite's `utf-7-imap`, the codec imapflow uses on the upstream side, so
 * a name leaves us exactly as it would leave imapflow.
 */
import iconv from 'iconv-lite';

/** UTF-8 → modified UTF-7: printable ASCII as is (`&` as `&-`), the rest as `&<base64 of UTF-16BE>-`. */
export function encodeModifiedUtf7(name: string): string {
  return iconv.encode(name, 'utf-7-imap').toString('latin1');
}

/**
 * Modified UTF-7 → UTF-8; null when the text is not valid modified UTF-7. Lenient where clients are
 * sloppy and the meaning is clear: a base64 run may encode ASCII or end with unused bits.
 */
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
