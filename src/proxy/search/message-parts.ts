/**
 * The header fields and MIME parts of a raw message, as SEARCH needs them: unfolded header fields
 * (name, the ":" and blanks after it, value) and every part's body range with its content type,
 * charset and transfer encoding. Line ends may be CRLF or bare LF.
 *
 * Part boundaries come from the ingest-time MessageStructure (Dovecot's parser rules); the
 * Content-Type and Content-Transfer-Encoding that decide how a body is searched are read from each
 * part's own header, as Dovecot's message search does (it ignores MIME-Version there).
 */
import type { MessageStructure, MimePart as StructurePart } from '../../mail/structure.js';
import { parseContentType as parseMimeContentType } from '../../mail/content-headers.js';
import { isKnownTransferEncoding, parseTransferEncoding } from '../../mail/transfer-encoding.js';

export interface HeaderField {
  name: string;
  /** ":" and the blanks after it, as written. Empty (and so is the name) when the line had no colon. */
  middle: string;
  /** Value bytes with folding line breaks removed (continuation blanks kept). */
  value: Buffer;
}

export interface MimePart {
  fields: HeaderField[];
  /** True when the header ended with an empty line (Dovecot then reports an end-of-header line). */
  headerTerminated: boolean;
  /** Where the header block starts and where its parse stopped (bodyStart unless an early blank line). */
  headerStart: number;
  headerEnd: number;
  /** Lower-cased "type/subtype" without parameters or comments; "" when broken, null when absent. */
  contentType: string | null;
  charset?: string;
  /** Lower-cased encoding name (TRANSFER_ENCODING_UNKNOWN when unreadable); undefined when absent. */
  transferEncoding?: string;
  bodyStart: number;
  bodyEnd: number;
  /** Sub-parts of a multipart, or the one message of a message/rfc822. */
  children: MimePart[];
}

const LF = 0x0a;
const CR = 0x0d;

function lineEnd(buf: Buffer, from: number, end: number): number {
  const at = buf.indexOf(LF, from);
  return at < 0 || at >= end ? end : at;
}

/** Parses the header block at [start, end); returns the fields and where the body starts. */
export function parseHeader(buf: Buffer, start: number, end: number): { fields: HeaderField[]; bodyStart: number; terminated: boolean } {
  const fields: HeaderField[] = [];
  let pos = start;
  let current: { name: string; middle: string; pieces: Buffer[] } | null = null;
  const flush = () => {
    // One piece (an unfolded line) is used in place: a copy would cost more than the whole parse.
    if (current) fields.push({ name: current.name, middle: current.middle, value: current.pieces.length === 1 ? current.pieces[0] : Buffer.concat(current.pieces) });
    current = null;
  };
  while (pos < end) {
    const stop = lineEnd(buf, pos, end);
    let contentEnd = stop;
    if (contentEnd > pos && buf[contentEnd - 1] === CR && stop < end) contentEnd--;
    const next = stop < end ? stop + 1 : end;
    if (contentEnd === pos) {
      flush();
      return { fields, bodyStart: next, terminated: true };
    }
    const first = buf[pos];
    if ((first === 0x20 || first === 0x09) && current) {
      (current as { pieces: Buffer[] }).pieces.push(buf.subarray(pos, contentEnd));
    } else {
      flush();
      const colon = buf.indexOf(0x3a, pos);
      if (colon < 0 || colon >= contentEnd) {
        // Dovecot 2.3: a line without a colon is a field with an empty name and the line as value.
        current = { name: '', middle: '', pieces: [buf.subarray(pos, contentEnd)] };
      } else {
        let nameEnd = colon;
        while (nameEnd > pos && (buf[nameEnd - 1] === 0x20 || buf[nameEnd - 1] === 0x09)) nameEnd--;
        let valueStart = colon + 1;
        while (valueStart < contentEnd && (buf[valueStart] === 0x20 || buf[valueStart] === 0x09)) valueStart++;
        current = {
          name: buf.toString('latin1', pos, nameEnd),
          middle: buf.toString('latin1', colon, valueStart),
          pieces: [buf.subarray(valueStart, contentEnd)],
        };
      }
    }
    pos = next;
  }
  flush();
  return { fields, bodyStart: end, terminated: false };
}

/**
 * What a Content-Type value means to SEARCH, read by the same parser as BODYSTRUCTURE (Dovecot's
 * rfc822_parse_content_type): "type/subtype" lower-cased — just "type" when there is no subtype, ""
 * when broken — and the charset parameter of a well-formed value.
 */
export function parseContentType(raw: string): { type: string; charset?: string } {
  const parsed = parseMimeContentType(raw);
  const type = (parsed.subtype ? `${parsed.type}/${parsed.subtype}` : parsed.type).toLowerCase();
  return { type, charset: parsed.params.find(([name]) => name.toLowerCase() === 'charset')?.[1] };
}

export function firstField(fields: HeaderField[], name: string): HeaderField | undefined {
  const lower = name.toLowerCase();
  return fields.find((field) => field.name.toLowerCase() === lower);
}

function lastField(fields: HeaderField[], name: string): HeaderField | undefined {
  const lower = name.toLowerCase();
  for (let i = fields.length - 1; i >= 0; i--) if (fields[i].name.toLowerCase() === lower) return fields[i];
  return undefined;
}

function partFromStructure(raw: Buffer, source: StructurePart): MimePart {
  const header = parseHeader(raw, source.headerStart, source.bodyStart);
  // Dovecot's search decides on the last Content-Type line whether a body is text, its decoder
  // takes the charset from the first
  const typeField = firstField(header.fields, 'Content-Type');
  const lastTypeField = lastField(header.fields, 'Content-Type');
  const parsedType = typeField ? parseContentType(typeField.value.toString('latin1')) : null;
  const lastType = lastTypeField && lastTypeField !== typeField ? parseContentType(lastTypeField.value.toString('latin1')) : parsedType;
  // Dovecot's decoder takes the last Content-Transfer-Encoding line of a part
  const encodingField = lastField(header.fields, 'Content-Transfer-Encoding');
  return {
    fields: header.fields,
    headerTerminated: header.terminated,
    headerStart: source.headerStart,
    headerEnd: header.bodyStart,
    contentType: lastType ? lastType.type : null,
    charset: parsedType?.charset,
    transferEncoding: encodingField ? parseTransferEncoding(encodingField.value.toString('latin1')) : undefined,
    bodyStart: source.bodyStart,
    bodyEnd: source.bodyEnd,
    children: source.children.map((child) => partFromStructure(raw, child)),
  };
}

/** The message as a tree of parts (the root is the message itself), located by its structure. */
export function messageParts(raw: Buffer, structure: MessageStructure): MimePart {
  return partFromStructure(raw, structure.root);
}

/** Whether SEARCH reads this part's body: a leaf text/*, message/* or untyped part, as Dovecot does. */
export function hasSearchableBody(part: MimePart): boolean {
  const type = part.contentType;
  const searchable = type === null || type.startsWith('text/') || type.startsWith('message/');
  // Dovecot skips a body whose transfer encoding it does not know (x-uuencode, "", "base64 junk")
  return searchable && isKnownTransferEncoding(part.transferEncoding) && part.children.length === 0 && part.bodyEnd > part.bodyStart;
}

/** Parts in message order (depth first), the way Dovecot's parser hands them to SEARCH. */
export function flattenParts(root: MimePart): MimePart[] {
  const out: MimePart[] = [];
  const walk = (part: MimePart) => {
    out.push(part);
    for (const child of part.children) walk(child);
  };
  walk(root);
  return out;
}
