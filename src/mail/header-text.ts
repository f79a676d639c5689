/**
 * Header and body text → Unicode: RFC 2047 encoded words in header values, bytes in a declared
 * charset (iconv-lite for the many legacy ones), and the comment-stripping a few header readers need.
 */
import iconv from 'iconv-lite';
import libmime from 'libmime';

/** RFC 2047 encoded words in a header value (raw bytes, 8-bit taken as UTF-8) → Unicode. */
export function decodeHeaderValue(raw: Buffer | string): string {
  const text = typeof raw === 'string' ? raw : raw.toString('utf8');
  if (!text.includes('=?')) return text;
  try {
    return libmime.decodeWords(text);
  } catch {
    return text;
  }
}

/** The charset name decodeCharset hands to iconv, or null when it decodes as UTF-8. */
function iconvCharset(charset: string | undefined): string | null {
  const name = (charset ?? '').trim().toLowerCase();
  return name && name !== 'utf-8' && name !== 'utf8' && name !== 'us-ascii' && iconv.encodingExists(name) ? name : null;
}

/** Bytes in a charset → string; unknown charsets and invalid bytes degrade to UTF-8 with U+FFFD. */
export function decodeCharset(bytes: Buffer, charset: string | undefined): string {
  const name = iconvCharset(charset);
  return name ? iconv.decode(bytes, name) : bytes.toString('utf8');
}

const ALL_ASCII = Buffer.from(Array.from({ length: 128 }, (_, byte) => byte));
/** Single-byte charset families; stateful ones (UTF-7, ISO-2022-*) give 7-bit bytes other meanings. */
const SINGLE_BYTE_CHARSET = /^(iso[-_]?8859[-_]?\d{1,2}|windows-?125\d|cp-?125\d|latin-?\d|l\d|ascii|koi8-?[ru])$/;
const asciiTransparency = new Map<string, boolean>();

/** Whether decodeCharset turns 7-bit bytes into the same characters (what the SEARCH prefilter relies on). */
export function decodesAsciiUnchanged(charset: string | undefined): boolean {
  const name = iconvCharset(charset);
  if (name === null) return true;
  if (!SINGLE_BYTE_CHARSET.test(name)) return false;
  let transparent = asciiTransparency.get(name);
  if (transparent === undefined) {
    transparent = iconv.decode(ALL_ASCII, name) === ALL_ASCII.toString('latin1');
    asciiTransparency.set(name, transparent);
  }
  return transparent;
}

/**
 * Every `(…)` comment (up to its first `)`, as the regex /\([^)]*\)/g reads it) replaced by
 * `replacement`. A scan, since that regex retries from each of a hostile header's thousands of
 * unclosed `(` to its end: quadratic time.
 */
export function replaceComments(value: string, replacement: string): string {
  let out = '';
  let from = 0;
  for (;;) {
    const open = value.indexOf('(', from);
    const close = open < 0 ? -1 : value.indexOf(')', open + 1);
    if (close < 0) return out + value.slice(from);
    out += value.slice(from, open) + replacement;
    from = close + 1;
  }
}
