/**
 * Address lists (From, To, Cc, Bcc …) as SEARCH sees them. Dovecot matches FROM/TO/CC/BCC against the
 * parsed list re-written in a normal form — comments dropped, blanks normalised, names quoted only when
 * needed, absent parts filled in — so a search for `"Alice` or for a comment behaves as there. The parse
 * is the one ENVELOPE uses (mail/address.ts); this module is only the writer. Encoded words
 * stay encoded here; the caller decodes the written form.
 */
import { parseAddressList } from '../../mail/address.js';
import { isAtext } from '../../mail/rfc822-lexer.js';
import type { EnvelopeAddress } from '../../mail/structure.js';

/** SEARCH's callers parse through here: one import for parse + write. */
export { parseAddressList };

/** Quotes when anything but atext (and, for a local part, dots) is in it; escapes `"`, `\` and — as
 * Dovecot does — `'`, so `"O'Neil, Pat"` is matched as `"O\'Neil, Pat"`. */
function maybeQuote(text: string, quoteDots: boolean): string {
  for (const char of text) {
    if (!isAtext(char) && (quoteDots || char !== '.')) return `"${text.replace(/(["\\'])/g, '\\$1')}"`;
  }
  return text;
}

/** A display or group name: encoded words may not be quoted, so such a name is written as it is. */
function writeName(name: string): string {
  return name.includes('=?') ? name : maybeQuote(name, true);
}

/** The normal form Dovecot matches FROM/TO/CC/BCC against. */
export function writeAddressList(list: readonly EnvelopeAddress[] | null): string {
  let out = '';
  let first = true;
  let inGroup = false;
  for (const address of list ?? []) {
    if (!first) out += ', ';
    first = false;
    if (address.domain === null) {
      if (!inGroup) {
        out += `${address.mailbox ? writeName(address.mailbox) : '""'}: `;
        first = true;
      } else if (out.endsWith(', ')) out = `${out.slice(0, -2)};`;
      else out = `${out.slice(0, -1)};`; // an empty group: "name: " → "name:;"
      inGroup = !inGroup;
      continue;
    }
    // The parse fills in a missing domain, but `""@example.com` does leave an empty mailbox.
    const mailbox = address.mailbox ? maybeQuote(address.mailbox, false) : '""';
    if (address.name !== null) out += writeName(address.name);
    if (address.name) out += ' ';
    out += `<${address.route !== null ? `${address.route}:` : ''}${mailbox}@${address.domain}>`;
  }
  return out;
}
