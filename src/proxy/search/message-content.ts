/**
 * One message while a search runs: its place in the folder and its content, parsed, decoded and
 * folded only as far as the keys being evaluated ask, and each of those at most once.
 */
import type { MessageRef } from '../ports.js';
import type { MessageStructure } from '../../mail/structure.js';
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

  /**
   * The searchable text, one string per MIME part (a match never spans two parts): for TEXT every
   * header line (name, colon, decoded value, CRLF) followed by the body; for BODY bodies only.
   * Only text/* and message/* bodies (and parts without Content-Type) are searched, as Dovecot does.
   */
  textSegments(scope: 'body' | 'text'): string[] {
    const cached = this.segments.get(scope);
    if (cached) return cached;
    const segments: string[] = [];
    for (const part of flattenParts(this.mimeTree())) {
      let text = '';
      if (scope === 'text') {
        for (const field of part.fields) text += `${headerLineText(field)}\r\n`;
        if (part.headerTerminated) text += '\r\n';
      }
      if (hasSearchableBody(part)) text += bodyText(this.raw, part);
      if (text) segments.push(text);
    }
    this.segments.set(scope, segments);
    return segments;
  }
}
