/**
 * The one Content-Transfer-Encoding decoder (RFC 2045 §6). FETCH BINARY and SEARCH's body text both
 * decode through it, so the two can never disagree about a message. Where Dovecot has an answer it is
 * Dovecot 2.3's (qp-decoder.c, message-decoder.c); on input Dovecot calls broken (and refuses for
 * BINARY) it decodes leniently, and never throws: a hostile body costs one linear pass.
 */
import { Rfc822Lexer } from './rfc822-lexer.js';

/** What parseTransferEncoding answers for a value Dovecot's decoder does not understand. */
export const TRANSFER_ENCODING_UNKNOWN = 'x-unknown';
const KNOWN_TRANSFER_ENCODINGS = new Set(['7bit', '8bit', 'binary', 'base64', 'quoted-printable']);

/**
 * A Content-Transfer-Encoding value as Dovecot's message decoder (SEARCH) reads it: one token
 * (comments and blanks around it allowed) followed by nothing or ";" — "base64 junk", "" and
 * x-uuencode are unknown. (BODYSTRUCTURE reads the field its own way: content-headers.ts parseEncoding.)
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

function transferEncodingName(encoding: string | null | undefined): string {
  return (encoding ?? '').trim().toLowerCase();
}

/** Whether decodeTransferEncoding can undo this encoding (the identity ones need nothing); BINARY refuses the rest. */
export function canDecodeTransferEncoding(encoding: string | null | undefined): boolean {
  const name = transferEncodingName(encoding);
  return name === '' || KNOWN_TRANSFER_ENCODINGS.has(name);
}

/** Whether decodeTransferEncoding returns the body unchanged (7bit, 8bit, binary, absent, unknown). */
export function keepsBodyBytes(encoding: string | null | undefined): boolean {
  const name = transferEncodingName(encoding);
  return name !== 'base64' && name !== 'quoted-printable';
}

/** Decodes a body by its Content-Transfer-Encoding (any case); identity for 7bit/8bit/binary/unknown. */
export function decodeTransferEncoding(body: Buffer, encoding: string | null | undefined): Buffer {
  switch (transferEncodingName(encoding)) {
    case 'base64':
      return decodeBase64Body(body);
    case 'quoted-printable':
      return decodeQuotedPrintable(body);
    default:
      return body;
  }
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

const isBlank = (byte: number | undefined): boolean => byte === 0x20 || byte === 0x09;

function hexValue(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  if (byte >= 0x41 && byte <= 0x46) return byte - 0x37;
  if (byte >= 0x61 && byte <= 0x66) return byte - 0x57;
  return -1;
}

/** Length of the line break at `at` ((CR)LF), or 0 when there is none. */
function lineBreakAt(input: Buffer, at: number): number {
  if (input[at] === 0x0a) return 1;
  return input[at] === 0x0d && input[at + 1] === 0x0a ? 2 : 0;
}

/**
 * Quoted-printable → bytes, as Dovecot's qp-decoder: `=XX` (either case) decoded, `=` with optional
 * blanks before a line break is a soft break, blanks before a line break are dropped (RFC 2045 rule 3:
 * transports add them). Anything else malformed stays literally (a lone `=`, `=` before junk or at
 * the end). Line breaks are kept as written.
 */
export function decodeQuotedPrintable(input: Buffer): Buffer {
  const out = Buffer.alloc(input.length);
  let length = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i];
    if (isBlank(byte)) {
      let end = i + 1;
      while (isBlank(input[end])) end++;
      if (lineBreakAt(input, end) > 0) {
        i = end - 1;
        continue;
      }
      input.copy(out, length, i, end);
      length += end - i;
      i = end - 1;
      continue;
    }
    if (byte !== 0x3d) {
      out[length++] = byte;
      continue;
    }
    let j = i + 1;
    while (isBlank(input[j])) j++;
    const lineBreak = lineBreakAt(input, j);
    if (lineBreak > 0) {
      i = j + lineBreak - 1;
      continue;
    }
    const high = hexValue(input[i + 1]);
    const low = hexValue(input[i + 2]);
    if (high >= 0 && low >= 0) {
      out[length++] = high * 16 + low;
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return out.subarray(0, length);
}
