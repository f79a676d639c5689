/**
 * Text as SEARCH compares it: decoded to Unicode, then folded the way Dovecot's default comparator
 * (i;unicode-casemap, RFC 5051) does — title case, then decomposed — so that `BODY cafe` and
 * `BODY CAFÉ` behave as they do on the live server.
 */
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { Rfc822Lexer } from '../../snapshots/mime/rfc822.js';

/** Title-case and decompose (NFKD) every character; a simple per-character mapping, like Dovecot. */
export function foldForSearch(text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\x00-\x7f]/.test(text)) return text.toUpperCase();
  const decomposed = text.normalize('NFKD');
  const upper = decomposed.toUpperCase();
  // Same length: every character mapped one-to-one (upper-casing never shrinks text).
  if (upper.length === decomposed.length) return upper;
  // Upper-case everything except the characters whose full upper case is several characters.
  return decomposed
    .split(expandingCharacters())
    .map((piece, index) => (index % 2 === 1 ? piece : piece.toUpperCase()))
    .join('');
}

let expanding: RegExp | undefined;

/** Characters (BMP and beyond) whose toUpperCase() is longer than one character, e.g. ß → SS. */
function expandingCharacters(): RegExp {
  if (!expanding) {
    const chars: string[] = [];
    for (let code = 0x80; code <= 0x1ffff; code++) {
      if (code >= 0xd800 && code <= 0xdfff) continue;
      const char = String.fromCodePoint(code);
      if ([...char.toUpperCase()].length > 1) chars.push(char);
    }
    // None of these is a character-class metacharacter, so they go into the class unescaped.
    expanding = new RegExp(`([${chars.join('')}])`, 'u');
  }
  return expanding;
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

/** Quoted-printable → bytes. Soft line breaks vanish; malformed escapes are kept literally. */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let length = 0;
  const hex = (byte: number): number => {
    if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
    if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
    if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
    return -1;
  };
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    if (byte !== 0x3d) {
      out[length++] = byte;
      continue;
    }
    // "=" followed by optional whitespace and a line end is a soft break.
    let j = i + 1;
    while (j < input.length && (input[j] === 0x20 || input[j] === 0x09)) j++;
    if (j < input.length && (input[j] === 0x0d || input[j] === 0x0a)) {
      i = input[j] === 0x0d && input[j + 1] === 0x0a ? j + 1 : j;
      continue;
    }
    if (j >= input.length) {
      i = j;
      continue;
    }
    const high = hex(input[i + 1] ?? -1);
    const low = hex(input[i + 2] ?? -1);
    if (high >= 0 && low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return out.subarray(0, length);
}

/** What parseTransferEncoding answers for a value Dovecot's decoder does not understand. */
export const TRANSFER_ENCODING_UNKNOWN = 'x-unknown';
const KNOWN_TRANSFER_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/**
 * A Content-Transfer-Encoding value as Dovecot's message decoder reads it: one token (comments and
 * blanks around it allowed) followed by nothing or ";" — "base64 junk", "" and x-uuencode are unknown.
 */
export function parseTransferEncoding(value: string): string {
  const lexer = new Rfc822Lexer(value);
  lexer.skipLwsp();
  const token = lexer.mimeToken().toLowerCase();
  if (lexer.lwsp() > 0 && lexer.peek() !== ';') return TRANSFER_ENCODING_UNKNOWN;
  return KNOWN_TRANSFER_ENCODINGS.has(token) ? token : TRANSFER_ENCODING_UNKNOWN;
}

/** Whether SEARCH decodes a body with this encoding (undefined: no header, i.e. 7bit). */
export function isKnownTransferEncoding(encoding: string | undefined): boolean {
  return encoding === undefined || KNOWN_TRANSFER_ENCODINGS.has(encoding);
}

function transferEncodingName(encoding: string | undefined): string {
  return (encoding ?? '').trim().toLowerCase();
}

/** Whether decodeTransferEncoding returns the body unchanged (7bit, 8bit, binary, absent, unknown). */
export function keepsBodyBytes(encoding: string | undefined): boolean {
  const name = transferEncodingName(encoding);
  return name !== 'base64' && name !== 'quoted-printable';
}

const BASE64_ALPHABET = new Uint8Array(256);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') BASE64_ALPHABET[char.charCodeAt(0)] = 1;

/**
 * Base64 as Dovecot's decoder reads a body: blanks and line breaks skipped, and decoding ends at the
 * first padding "=" or at any other character (what came before still counts).
 */
export function decodeBase64Body(body: Buffer): Buffer {
  const clean = Buffer.alloc(body.length);
  let length = 0;
  for (const byte of body) {
    if (BASE64_ALPHABET[byte]) clean[length++] = byte;
    else if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d && byte !== 0x0a) break;
  }
  return Buffer.from(clean.toString('latin1', 0, length), 'base64');
}

/** Decodes a body by its Content-Transfer-Encoding; identity for 7bit/8bit/binary/unknown. */
export function decodeTransferEncoding(body: Buffer, encoding: string | undefined): Buffer {
  switch (transferEncodingName(encoding)) {
    case 'base64':
      return decodeBase64Body(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
}
