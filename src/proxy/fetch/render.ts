/**
 * The shared FETCH renderer: one message, one request → the untagged `* n FETCH (...)` response as
 * pieces. Body sections are byte ranges of the stored message (from the structure computed at
 * ingest) and go out as streams; only small or transformed sections (HEADER.FIELDS, BINARY) are
 * built in memory. A read-only snapshot never gains \Seen, so BODY[] without PEEK sets nothing.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { MessageStructure, MimePart } from '../../snapshots/mime/structure.js';
import type { FetchRequest, SectionItem } from './request.js';
import type { ResponsePiece } from './pieces.js';
import { renderBodyStructure, renderEnvelope } from './structure-render.js';

export { renderBodyStructure, renderEnvelope } from './structure-render.js';
export { parseFetchItems, FetchSyntaxError } from './request.js';
export type { FetchRequest } from './request.js';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** RFC 3501 date-time, in UTC: "01-Jun-2026 12:00:07 +0000". */
export function formatInternalDate(date: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ${p(date.getUTCHours())}:${p(date.getUTCMinutes())}:${p(date.getUTCSeconds())} +0000`;
}

/** The part a section number path names (IMAP part numbering, as Dovecot resolves it). */
export function resolvePart(root: MimePart, path: number[]): MimePart | null {
  // A single-part message has only part 1 (RFC 3501 §6.4.5): "1.1" names nothing, and Dovecot
  // answers it with an empty string rather than the body again.
  if (path.length > 1 && root.kind !== 'multipart' && root.kind !== 'message') return null;
  let part = root;
  for (let i = 0; i < path.length; i++) {
    if (i > 0 && part.kind === 'message') {
      if (!part.children[0]) return null;
      part = part.children[0];
    }
    if (part.kind === 'multipart') {
      const child = part.children[path[i] - 1];
      if (!child) return null;
      part = child;
    } else if (path[i] !== 1) return null;
  }
  return part;
}

interface Range {
  start: number;
  end: number;
}

/** Header lines whose field name is (or, with `not`, is not) in `fields`, then the blank line. */
export function filterHeader(header: Buffer, fields: string[], not: boolean): Buffer {
  const wanted = new Set(fields.map((f) => f.toLowerCase()));
  const text = header.toString('latin1');
  const lines = text.split(/(?<=\n)/);
  let out = '';
  let keep = false;
  let blank = '';
  for (const line of lines) {
    if (line === '\r\n' || line === '\n') {
      blank = '\r\n';
      break;
    }
    if (line.startsWith(' ') || line.startsWith('\t')) {
      if (keep) out += line;
      continue;
    }
    const colon = line.indexOf(':');
    const name = (colon < 0 ? line.replace(/\r?\n$/, '') : line.slice(0, colon)).replace(/[ \t]+$/, '').toLowerCase();
    keep = wanted.has(name) !== not;
    if (keep) out += line;
  }
  // Dovecot: HEADER.FIELDS always ends with the blank line, HEADER.FIELDS.NOT only when the header had one
  return Buffer.from(`${out}${not ? blank : '\r\n'}`, 'latin1');
}

/** Content-Transfer-Encoding decoding for BINARY[]; unknown encodings pass through. */
export function decodeTransfer(body: Buffer, encoding: string | null): Buffer {
  const enc = (encoding ?? '').toLowerCase();
  if (enc === 'base64') return Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64');
  if (enc === 'quoted-printable') {
    const text = body.toString('latin1').replace(/[ \t]+(\r?\n)/g, '$1').replace(/=\r?\n/g, '');
    const bytes: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const m = text[i] === '=' ? /^[0-9A-Fa-f]{2}$/.exec(text.slice(i + 1, i + 3)) : null;
      if (m) {
        bytes.push(parseInt(m[0], 16));
        i += 2;
      } else bytes.push(text.charCodeAt(i) & 0xff);
    }
    return Buffer.from(bytes);
  }
  return body;
}

function sectionRange(structure: MessageStructure, item: SectionItem): { part: MimePart; range: Range; header?: Range } | null {
  const root = structure.root;
  const part = item.part.length === 0 ? root : resolvePart(root, item.part);
  if (!part) return null;
  if (item.text === 'MIME') return { part, range: { start: part.headerStart, end: part.bodyStart } };
  if (item.text === '') {
    if (item.part.length === 0) return { part, range: { start: 0, end: structure.size } };
    return { part, range: { start: part.bodyStart, end: part.bodyEnd } };
  }
  const message = item.part.length === 0 ? root : part.kind === 'message' ? part.children[0] : null;
  if (!message) return { part, range: { start: part.bodyStart, end: part.bodyStart } };
  if (item.text === 'TEXT') return { part: message, range: { start: message.bodyStart, end: message.bodyEnd } };
  return { part: message, range: { start: message.headerStart, end: message.bodyStart } };
}

async function readRange(mailbox: OpenMailbox, message: MessageRef, range: Range): Promise<Buffer> {
  const chunks: Buffer[] = [];
  if (range.end <= range.start) return Buffer.alloc(0);
  for await (const chunk of mailbox.read(message, range.start, range.end)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function applyPartial(length: number, partial: SectionItem['partial']): Range {
  if (!partial) return { start: 0, end: length };
  const start = Math.min(partial.start, length);
  const end = partial.length === undefined ? length : Math.min(length, start + partial.length);
  return { start, end };
}

async function renderSection(item: SectionItem, structure: MessageStructure, message: MessageRef, mailbox: OpenMailbox): Promise<ResponsePiece[]> {
  const found = sectionRange(structure, item);
  const range = found?.range ?? { start: 0, end: 0 };
  if (item.binary) {
    const raw = await readRange(mailbox, message, range);
    const decoded = found && item.text === '' && item.part.length > 0 ? decodeTransfer(raw, found.part.encoding) : raw;
    if (item.sizeOnly) return [Buffer.from(`${item.label} ${decoded.length}`)];
    const window = applyPartial(decoded.length, item.partial);
    const content = decoded.subarray(window.start, window.end);
    // Dovecot answers literal8 whenever it had to decode a transfer encoding
    const enc = (found?.part.encoding ?? '').toLowerCase();
    const prefix = content.includes(0) || enc === 'base64' || enc === 'quoted-printable' ? '~' : '';
    return [Buffer.from(`${item.label} ${prefix}{${content.length}}\r\n`), content];
  }
  if (item.text === 'HEADER.FIELDS' || item.text === 'HEADER.FIELDS.NOT') {
    const header = await readRange(mailbox, message, range);
    const filtered = filterHeader(header, item.fields, item.text === 'HEADER.FIELDS.NOT');
    const window = applyPartial(filtered.length, item.partial);
    const content = filtered.subarray(window.start, window.end);
    return [Buffer.from(`${item.label} {${content.length}}\r\n`), content];
  }
  const window = applyPartial(range.end - range.start, item.partial);
  const start = range.start + window.start;
  const end = range.start + window.end;
  const pieces: ResponsePiece[] = [Buffer.from(`${item.label} {${end - start}}\r\n`)];
  if (end > start) pieces.push({ length: end - start, open: () => mailbox.read(message, start, end) });
  return pieces;
}

/** Dovecot's order for the non-section items; sections follow in request order. */
const SIMPLE_ORDER = ['UID', 'MODSEQ', 'FLAGS', 'RFC822.SIZE', 'INTERNALDATE', 'ENVELOPE', 'BODY', 'BODYSTRUCTURE'];

/** The whole `* <seq> FETCH (...)\r\n` response for one message. */
export async function renderFetch(
  seq: number,
  message: MessageRef,
  mailbox: OpenMailbox,
  request: FetchRequest,
  options: { uid: boolean },
): Promise<ResponsePiece[]> {
  const simple = new Set(request.items.flatMap((i) => (i.kind === 'simple' ? [i.name] : [])));
  if (options.uid) simple.add('UID');
  const needsStructure = request.items.some((i) => i.kind === 'section') || simple.has('ENVELOPE') || simple.has('BODY') || simple.has('BODYSTRUCTURE');
  const structure = needsStructure ? await mailbox.structure(message) : null;
  const parts: ResponsePiece[][] = [];
  for (const name of SIMPLE_ORDER) {
    if (!simple.has(name as never)) continue;
    let value: string;
    switch (name) {
      case 'UID': value = String(message.uid); break;
      case 'MODSEQ': value = `(${Math.max(1, mailbox.highestModseq)})`; break;
      case 'FLAGS': value = `(${message.flags.join(' ')})`; break;
      case 'RFC822.SIZE': value = String(message.size); break;
      case 'INTERNALDATE': value = `"${formatInternalDate(message.internalDate)}"`; break;
      case 'ENVELOPE': value = renderEnvelope(structure!); break;
      case 'BODY': value = renderBodyStructure(structure!, { extended: false }); break;
      default: value = renderBodyStructure(structure!, { extended: true }); break;
    }
    parts.push([Buffer.from(`${name} ${value}`, 'latin1')]);
  }
  for (const item of request.items) {
    if (item.kind === 'section') parts.push(await renderSection(item, structure!, message, mailbox));
  }
  const out: ResponsePiece[] = [Buffer.from(`* ${seq} FETCH (`)];
  parts.forEach((pieces, i) => {
    if (i > 0) out.push(Buffer.from(' '));
    out.push(...pieces);
  });
  out.push(Buffer.from(')\r\n'));
  return out;
}
