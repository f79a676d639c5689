/**
 * One message while a search runs: its place in the folder and its content, parsed, decoded and
 * folded only as far as the keys being evaluated ask, and each of those at most once.
 */
import type { MessageRef } from '../ports.js';
import { STRUCTURE_VERSION, type MessageStructure } from '../../mail/structure.js';
import { flattenParts, hasSearchableBody, messageParts, parseHeader, type HeaderField, type MimePart } from './message-parts.js';
import { foldForSearch } from './text.js';
import { decodeCharset, decodeHeaderValue } from '../../mail/header-text.js';
import { decodeTransferEncoding } from '../../mail/transfer-encoding.js';

/** A header field as TEXT compares it: folded name, the colon and blanks as written, folded decoded value. */
export function headerLineText(field: HeaderField): string {
  return `${foldForSearch(field.name)}${field.middle}${foldForSearch(decodeHeaderValue(field.value))}`;
}

/** A part's body as BODY/TEXT compare it: transfer-decoded, charset-decoded, folded. */
export function bodyText(raw: Buffer, part: MimePart): string {
  const body = decodeTransferEncoding(raw.subarray(part.bodyStart, part.bodyEnd), part.transferEncoding);
  return foldForSearch(decodeCharset(body, part.charset));
}

/**
 * The searchable text, one string per MIME part (a match never spans two parts): for TEXT every
 * header line (name, colon, decoded value, CRLF) followed by the body; for BODY bodies only.
 * Only text/* and message/* bodies (and parts without Content-Type) are searched, as Dovecot does.
 */
function textSegmentsOf(raw: Buffer, root: MimePart, scope: 'body' | 'text'): string[] {
  const segments: string[] = [];
  for (const part of flattenParts(root)) {
    let text = '';
    if (scope === 'text') {
      for (const field of part.fields) text += `${headerLineText(field)}\r\n`;
      if (part.headerTerminated) text += '\r\n';
    }
    if (hasSearchableBody(part)) text += bodyText(raw, part);
    if (text) segments.push(text);
  }
  return segments;
}

/**
 * Version of searchableText's answer for the search index: rows written under another one are not
 * trusted. Raise SEARCH_TEXT_RULES whenever decoding, folding or the choice of parts changes; a new
 * structure analyzer (STRUCTURE_VERSION) changes the parts, so it changes the version too.
 */
const SEARCH_TEXT_RULES = 1;
export const SEARCH_TEXT_VERSION = SEARCH_TEXT_RULES * 1000 + STRUCTURE_VERSION;

/**
 * Everything SEARCH TEXT (and so BODY, a part of it) compares a needle with, as one string: the
 * TEXT segments joined by a line feed. Any needle TEXT or BODY finds in a message is a substring of
 * it, which is all the search index (a prefilter, src/snapshots/store) needs: the exact matcher
 * still decides on every candidate.
 */
export function searchableText(raw: Buffer, structure: MessageStructure): string {
  return textSegmentsOf(raw, messageParts(raw, structure), 'text').join('\n');
}

export class MessageContent {
  private parts?: MimePart;
  private fields?: HeaderField[];
  private latin1?: string;
  private segments = new Map<'body' | 'text', string[]>();
  /** The prefilter's findings about these bytes (is the header plain 7-bit …), by name of the check. */
  readonly rawChecks = new Map<string, boolean>();

  constructor(
    readonly ref: MessageRef,
    readonly sequence: number,
    /** The header block for header keys, SORT and THREAD; the whole message for BODY/TEXT. */
    readonly raw: Buffer,
    /** Needed only for BODY/TEXT; header keys read the raw header directly. */
    private readonly structure?: MessageStructure,
  ) {}

  headerFields(): HeaderField[] {
    this.fields ??= this.parts ? this.parts.fields : parseHeader(this.raw, 0, this.raw.length).fields;
    return this.fields;
  }

  mimeTree(): MimePart {
    if (!this.structure) throw new Error('BODY/TEXT search needs the message structure');
    this.parts ??= messageParts(this.raw, this.structure);
    return this.parts;
  }

  /** The raw bytes one char per byte: what the prefilter scans, without decoding anything. */
  rawText(): string {
    this.latin1 ??= this.raw.toString('latin1');
    return this.latin1;
  }

  /** The searchable text of the message, one string per MIME part (textSegmentsOf). */
  textSegments(scope: 'body' | 'text'): string[] {
    const cached = this.segments.get(scope);
    if (cached) return cached;
    const segments = textSegmentsOf(this.raw, this.mimeTree(), scope);
    this.segments.set(scope, segments);
    return segments;
  }
}
