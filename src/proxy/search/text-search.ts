/**
 * BODY and TEXT keys. What they mean is MessageContent.textSegments: per MIME part one string of the
 * header lines (TEXT only) and the decoded, folded body, in which the needle is looked for. Building
 * those strings decodes and folds every byte; for the usual needle this module gets the same answer
 * part by part, and straight from the bytes where they need no decoding:
 *  - a needle without CR or LF cannot span the CRLF a segment puts after each header line and after
 *    the header block, so looking in each header line and in the body on their own is the same test;
 *  - when the folded needle is ASCII and a body is 7-bit, sent as it is (no base64 or
 *    quoted-printable) in a charset that reads 7-bit bytes as ASCII, its folded text is its bytes
 *    upper-cased, so a case-insensitive search of the bytes is the same test;
 *  - a part header that is 7-bit without encoded words is passed over when the prefilter rules it out.
 * Any other needle (with CR or LF) is looked for in the segments as they are.
 */
import { isAscii } from 'node:buffer';
import { AsciiNeedle } from './ascii-search.js';
import { bodyText, headerLineText, type MessageContent } from './message-content.js';
import { flattenParts, hasSearchableBody, type MimePart } from './message-parts.js';
import { isLiteralHeader, RawNeedle } from './prefilter.js';
import type { SearchKey } from './program.js';
import { foldForSearch } from './text.js';
import { decodesAsciiUnchanged } from '../../mail/header-text.js';
import { keepsBodyBytes } from '../../mail/transfer-encoding.js';

type TextKey = Extract<SearchKey, { kind: 'text' }>;

/** What a BODY/TEXT value needs once per search rather than once per message. */
interface TextNeedle {
  folded: string;
  /** No CR or LF in it: parts, header lines and bodies can be searched one at a time. */
  partwise: boolean;
  /** Case-insensitive search for the folded needle in 7-bit bytes; null when it is not ASCII. */
  inAscii: { foundIn(bytes: Buffer): boolean } | null;
  /** The prefilter's test on raw header bytes; null when there is none. */
  raw: RawNeedle | null;
}

const needles = new WeakMap<TextKey, TextNeedle>();

function needleOf(key: TextKey): TextNeedle {
  let needle = needles.get(key);
  if (!needle) {
    const folded = foldForSearch(key.value);
    needle = {
      folded,
      partwise: !/[\r\n]/.test(folded),
      inAscii: asciiSearch(folded),
      raw: RawNeedle.compile(folded, 'text'),
    };
    needles.set(key, needle);
  }
  return needle;
}

function asciiSearch(folded: string): TextNeedle['inAscii'] {
  const bytes = AsciiNeedle.compile(folded);
  if (bytes) return bytes;
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(folded)) return null;
  // Too long for the byte search: a case-insensitive pattern over the bytes as text.
  const pattern = new RegExp(folded.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&'), 'i');
  return { foundIn: (bytes: Buffer) => pattern.test(bytes.toString('latin1')) };
}

/** Whether a BODY or TEXT key matches the message (which must carry its structure). */
export function textMatches(message: MessageContent, key: TextKey): boolean {
  const needle = needleOf(key);
  if (!needle.folded) return key.value === '';
  if (!needle.partwise) return message.textSegments(key.scope).some((segment) => segment.includes(needle.folded));
  for (const part of flattenParts(message.mimeTree())) {
    if (key.scope === 'text' && headerLinesMatch(message.raw, part, needle)) return true;
    if (hasSearchableBody(part) && bodyMatches(message.raw, part, needle)) return true;
  }
  return false;
}

function headerLinesMatch(raw: Buffer, part: MimePart, needle: TextNeedle): boolean {
  const header = raw.subarray(part.headerStart, part.headerEnd);
  if (needle.raw && isLiteralHeader(header) && !needle.raw.mayOccurIn(header.toString('latin1'))) return false;
  return part.fields.some((field) => headerLineText(field).includes(needle.folded));
}

function bodyMatches(raw: Buffer, part: MimePart, needle: TextNeedle): boolean {
  const body = raw.subarray(part.bodyStart, part.bodyEnd);
  if (needle.inAscii && keepsBodyBytes(part.transferEncoding) && decodesAsciiUnchanged(part.charset) && isAscii(body)) {
    return needle.inAscii.foundIn(body);
  }
  return bodyText(raw, part).includes(needle.folded);
}
