/**
 * The shared FETCH renderer: one message, one request → the untagged `* n FETCH (...)` response as
 * pieces. Body sections are byte ranges of the stored message (from the structure computed at
 * ingest) and go out as streams; only small or transformed sections (HEADER.FIELDS, BINARY) are
 * built in memory. A read-only snapshot never gains \Seen, so BODY[] without PEEK sets nothing.
 * What each item needs loaded is declared in one table (SIMPLE_ITEMS, sectionData); the streaming
 * pipeline over many messages is engine.ts.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { MessageStructure, MimePart } from '../../mail/structure.js';
import { FetchRefusal, type FetchItem, type FetchRequest, type SectionItem } from './request.js';
import { folderModseq } from '../protocol/modseq.js';
import type { ResponsePiece } from '../protocol/response-piece.js';
import { renderBodyStructure, renderEnvelope } from './structure-render.js';
import { formatInternalDate } from '../../mail/dates.js';
import { canDecodeTransferEncoding, decodeTransferEncoding } from '../../mail/transfer-encoding.js';

export { renderBodyStructure, renderEnvelope } from './structure-render.js';
export { parseFetchItems, FetchSyntaxError, FetchRefusal } from './request.js';
export type { FetchRequest } from './request.js';

/**
 * The part a section number path names, as Dovecot resolves it (imap-msgpart): a multipart's n-th
 * child; below anything else only "1", and only as the last number unless the part is a
 * message/rfc822, whose embedded message the next number continues in. So a single-part message
 * has only part 1 (RFC 3501 §6.4.5), and "1.1" of a text part names nothing (an empty answer).
 */
export function resolvePart(root: MimePart, path: number[]): MimePart | null {
  let part: MimePart | null = root;
  for (let i = 0; i < path.length && part; i++) {
    const more = i + 1 < path.length;
    if (part.kind === 'multipart') part = part.children[path[i] - 1] ?? null;
    else if (path[i] !== 1 || (more && part.kind !== 'message')) part = null;
    if (part && part.kind === 'message' && more) part = part.children[0] ?? null;
  }
  return part;
}

interface Range {
  start: number;
  end: number;
}

/**
 * Lower-cased field names per request field list (a header sync asks the same list of every
 * message), and their lengths: a header line whose name has none of them is decided without
 * slicing and lower-casing the name (a latin1 name keeps its length when lower-cased).
 */
interface FieldSet {
  names: Set<string>;
  lengths: Set<number>;
}

const fieldSets = new WeakMap<string[], FieldSet>();

function fieldSet(fields: string[]): FieldSet {
  let set = fieldSets.get(fields);
  if (!set) {
    const names = new Set(fields.map((field) => field.toLowerCase()));
    fieldSets.set(fields, (set = { names, lengths: new Set([...names].map((name) => name.length)) }));
  }
  return set;
}

/** Header lines whose field name is (or, with `not`, is not) in `fields`, then the blank line; latin1 text. */
export function filterHeaderText(header: Buffer, fields: string[], not: boolean, emptyHeaderExists = false, blankFollows = false): string {
  const wanted = fieldSet(fields);
  const text = header.toString('latin1');
  let out = '';
  let keep = false;
  let blank = '';
  for (let start = 0; start < text.length; ) {
    const newline = text.indexOf('\n', start);
    const end = newline < 0 ? text.length : newline + 1;
    const first = text.charCodeAt(start);
    if (first === 10 || (first === 13 && end - start === 2 && newline >= 0)) {
      blank = '\r\n';
      break;
    }
    if ((first === 32 || first === 9) && start > 0) {
      if (keep) out += text.slice(start, end);
    } else {
      // (a blank-led first line continues nothing: Dovecot takes it as a field of its own)
      const colon = text.indexOf(':', start);
      const nameEnd = colon >= 0 && colon < end ? colon : newline >= 0 ? (text.charCodeAt(newline - 1) === 13 && newline - 1 >= start ? newline - 1 : newline) : end;
      let trimmed = nameEnd;
      while (trimmed > start && (text.charCodeAt(trimmed - 1) === 32 || text.charCodeAt(trimmed - 1) === 9)) trimmed--;
      const named = wanted.lengths.has(trimmed - start) && wanted.names.has(text.slice(start, trimmed).toLowerCase());
      keep = named !== not;
      if (keep) out += text.slice(start, end);
    }
    start = end;
  }
  // Dovecot: HEADER.FIELDS always ends with the blank line, HEADER.FIELDS.NOT only when the header had
  // one — or was there but empty (an embedded message cut off by a boundary right where it starts)
  if ((emptyHeaderExists && text.length === 0) || blankFollows) blank = '\r\n';
  return `${out}${not ? blank : '\r\n'}`;
}

function sectionRange(structure: MessageStructure, item: SectionItem): { part: MimePart; range: Range; isHeader?: boolean } | null {
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
  return { part: message, range: { start: message.headerStart, end: message.bodyStart }, isHeader: true };
}

function endsWithBlankLine(header: Buffer): boolean {
  const n = header.length;
  if (n === 0) return false;
  if (header[n - 1] !== 10) return false;
  const before = n >= 2 && header[n - 2] === 13 ? n - 2 : n - 1;
  return before === 0 || header[before - 1] === 10;
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

/** Responses gather sections and messages up to this size in memory; bigger ones go out as streams. */
const INLINE_BYTES = 64 * 1024;
const SHORT_CONTENT = 2048;

/** The response under construction: text gathered into one buffer, streams kept apart. */
class ResponseBuilder {
  private text = '';
  readonly pieces: ResponsePiece[] = [];

  add(text: string): void {
    this.text += text;
  }

  /** Short content joins the text; a body stays a buffer of its own (no copies through a string). */
  addBytes(bytes: Buffer): void {
    if (bytes.length <= SHORT_CONTENT) this.text += bytes.toString('latin1');
    else this.addPiece(bytes);
  }

  addPiece(piece: ResponsePiece): void {
    if (this.text) this.pieces.push(Buffer.from(this.text, 'latin1'));
    this.text = '';
    this.pieces.push(piece);
  }

  finish(): ResponsePiece[] {
    if (this.text) this.pieces.push(Buffer.from(this.text, 'latin1'));
    this.text = '';
    return this.pieces;
  }
}

/** `BODY[HEADER…]` of the message itself: served from the header block alone, no structure needed. */
function isTopLevelHeader(item: SectionItem): boolean {
  return !item.binary && item.part.length === 0 && (item.text === 'HEADER' || item.text === 'HEADER.FIELDS' || item.text === 'HEADER.FIELDS.NOT');
}

/** `HEADER`, `HEADER.FIELDS` or `HEADER.FIELDS.NOT` answered from a header block (the message's or a part's). */
function renderHeaderBlock(item: SectionItem, header: Buffer, out: ResponseBuilder, isHeader = true, blankFollows = false): void {
  const content = item.text === 'HEADER' ? header.toString('latin1') : filterHeaderText(header, item.fields, item.text === 'HEADER.FIELDS.NOT', isHeader, blankFollows);
  const window = applyPartial(content.length, item.partial);
  const shown = window.start === 0 && window.end === content.length ? content : content.slice(window.start, window.end);
  out.add(`${item.label} {${shown.length}}\r\n${shown}`);
}

/**
 * `BODY[]` / `RFC822` of a short message: read whole, so its stored length answers without the
 * structure (RFC822.SIZE as the server reported it may differ from the bytes on some servers).
 */
function isShortWholeMessage(item: SectionItem, message: MessageRef): boolean {
  return !item.binary && item.part.length === 0 && item.text === '' && message.size <= INLINE_BYTES;
}

async function renderShortWholeMessage(item: SectionItem, message: MessageRef, mailbox: OpenMailbox, out: ResponseBuilder): Promise<void> {
  const whole = await mailbox.readAll(message);
  const window = applyPartial(whole.length, item.partial);
  out.add(`${item.label} {${window.end - window.start}}\r\n`);
  out.addBytes(whole.subarray(window.start, window.end));
}

async function renderSection(item: SectionItem, structure: MessageStructure, message: MessageRef, mailbox: OpenMailbox, out: ResponseBuilder): Promise<void> {
  const found = sectionRange(structure, item);
  const range = found?.range ?? { start: 0, end: 0 };
  if (item.binary) {
    // RFC 3516 §4.3: a transfer encoding the server cannot decode is refused, not passed through.
    if (found && item.part.length > 0 && !canDecodeTransferEncoding(found.part.encoding)) {
      throw new FetchRefusal('UNKNOWN-CTE', 'Unknown Content-Transfer-Encoding');
    }
    const raw = await readRange(mailbox, message, range);
    const decoded = found && item.text === '' && item.part.length > 0 ? decodeTransferEncoding(raw, found.part.encoding) : raw;
    if (item.sizeOnly) return out.add(`${item.label} ${decoded.length}`);
    const window = applyPartial(decoded.length, item.partial);
    const content = decoded.subarray(window.start, window.end);
    // Dovecot answers literal8 whenever it had to decode a transfer encoding
    const enc = (found?.part.encoding ?? '').toLowerCase();
    const prefix = content.includes(0) || enc === 'base64' || enc === 'quoted-printable' ? '~' : '';
    out.add(`${item.label} ${prefix}{${content.length}}\r\n`);
    return out.addBytes(content);
  }
  if (item.text === 'HEADER.FIELDS' || item.text === 'HEADER.FIELDS.NOT') {
    const header = await readRange(mailbox, message, range);
    // A header whose blank line was given to the boundary right after it (Dovecot's header size
    // leaves it out) still ends with it when Dovecot filters the header: look one line further.
    const next = found?.isHeader && !endsWithBlankLine(header) ? await readRange(mailbox, message, { start: range.end, end: Math.min(range.end + 2, structure.size) }) : null;
    const blankFollows = next !== null && (next[0] === 10 || (next[0] === 13 && next[1] === 10));
    return renderHeaderBlock(item, header, out, found?.isHeader === true, blankFollows);
  }
  const window = applyPartial(range.end - range.start, item.partial);
  const start = range.start + window.start;
  const end = range.start + window.end;
  out.add(`${item.label} {${end - start}}\r\n`);
  if (end <= start) return;
  if (message.size <= INLINE_BYTES) {
    // A short message is one small read: cheaper in memory than through a stream per section.
    const whole = await mailbox.readAll(message);
    if (whole.length >= end) return out.addBytes(whole.subarray(start, end));
  }
  // The literal's length is about to go out: damage must be found now, while NO can still be said.
  await mailbox.checkIntact?.(message, start, end);
  out.addPiece({ length: end - start, open: () => mailbox.read(message, start, end) });
}

/**
 * What a FETCH item needs of a message before it can be answered — one declaration per item, as
 * Dovecot's imap-fetch.c handlers declare theirs — so the engine loads exactly that:
 *   index     — the message's catalog row and the folder (UID, FLAGS, …): nothing is read
 *   structure — the structure computed at ingest (ENVELOPE, BODY, BODYSTRUCTURE)
 *   header    — the message's header block, read in batches by the engine (a header sync)
 *   whole     — the whole stored message in one read (BODY[] / RFC822 of a short message)
 *   range     — the structure, then byte ranges of the message (every other section)
 */
export type FetchData = 'index' | 'structure' | 'header' | 'whole' | 'range';

type SimpleName = Extract<FetchItem, { kind: 'simple' }>['name'];

interface SimpleItemHandler {
  data: 'index' | 'structure';
  /** The value after the item's name; `structure` is there when `data` is 'structure'. */
  render(message: MessageRef, mailbox: OpenMailbox, structure: MessageStructure | null): string;
}

/** The simple items; sections are declared by `sectionData` below (what they need depends on the section). */
const SIMPLE_ITEMS: Record<SimpleName, SimpleItemHandler> = {
  UID: { data: 'index', render: (message) => String(message.uid) },
  MODSEQ: { data: 'index', render: (_message, mailbox) => `(${folderModseq(mailbox)})` },
  FLAGS: { data: 'index', render: (message) => `(${message.flags.join(' ')})` },
  'RFC822.SIZE': { data: 'index', render: (message) => String(message.size) },
  INTERNALDATE: { data: 'index', render: (message) => `"${formatInternalDate(message.internalDate)}"` },
  ENVELOPE: { data: 'structure', render: (_message, _mailbox, structure) => renderEnvelope(structure!) },
  BODY: { data: 'structure', render: (_message, _mailbox, structure) => renderBodyStructure(structure!, { extended: false }) },
  BODYSTRUCTURE: { data: 'structure', render: (_message, _mailbox, structure) => renderBodyStructure(structure!, { extended: true }) },
};

/** What a section needs: the header block for the message's own header, the whole of a short message, else ranges. */
export function sectionData(item: SectionItem, message: MessageRef): Exclude<FetchData, 'index' | 'structure'> {
  if (isTopLevelHeader(item)) return 'header';
  if (isShortWholeMessage(item, message)) return 'whole';
  return 'range';
}

/** True when rendering needs each message's header block; the engine then reads them ahead in bulk. */
export function wantsHeaderBlock(request: FetchRequest): boolean {
  return request.items.some((item) => item.kind === 'section' && isTopLevelHeader(item));
}

/**
 * Dovecot's order: the small items it answers from its index (UID, FLAGS, MODSEQ, INTERNALDATE,
 * RFC822.SIZE) in request order, UID first for UID FETCH; then ENVELOPE, BODY, BODYSTRUCTURE and
 * the sections in request order. CHANGEDSINCE's implicit MODSEQ comes last among the small ones.
 */
interface RenderPlan {
  /** Every item to answer, in answer order; simple items once each. */
  items: FetchItem[];
  sections: SectionItem[];
  /** ENVELOPE, BODY or BODYSTRUCTURE: the structure is needed whatever the sections are. */
  structureItems: boolean;
}

/** What a request asks of every message, worked out once per FETCH rather than per message. */
const plans = new WeakMap<FetchRequest, Map<boolean, RenderPlan>>();

function planOf(request: FetchRequest, uid: boolean): RenderPlan {
  let byUid = plans.get(request);
  if (!byUid) plans.set(request, (byUid = new Map()));
  let plan = byUid.get(uid);
  if (!plan) {
    const seen = new Set<SimpleName>();
    const indexItems: FetchItem[] = [];
    const others: FetchItem[] = [];
    if (uid) {
      indexItems.push({ kind: 'simple', name: 'UID' });
      seen.add('UID');
    }
    for (const item of request.items) {
      if (item.kind === 'simple') {
        if (seen.has(item.name)) continue;
        seen.add(item.name);
        (SIMPLE_ITEMS[item.name].data === 'index' ? indexItems : others).push(item);
      } else others.push(item);
    }
    plan = {
      items: [...indexItems, ...others],
      sections: request.items.filter((item): item is SectionItem => item.kind === 'section'),
      structureItems: [...seen].some((name) => SIMPLE_ITEMS[name].data === 'structure'),
    };
    byUid.set(uid, plan);
  }
  return plan;
}

export interface RenderOptions {
  uid: boolean;
  /** The message's header block, when the caller read it ahead (see wantsHeaderBlock). */
  header?: Buffer;
}

/** The whole `* <seq> FETCH (...)\r\n` response for one message. */
export async function renderFetch(
  seq: number,
  message: MessageRef,
  mailbox: OpenMailbox,
  request: FetchRequest,
  options: RenderOptions,
): Promise<ResponsePiece[]> {
  const plan = planOf(request, options.uid);
  const needsStructure = plan.structureItems || plan.sections.some((item) => sectionData(item, message) === 'range');
  const structure = needsStructure ? await mailbox.structure(message) : null;
  const out = new ResponseBuilder();
  out.add(`* ${seq} FETCH (`);
  let first = true;
  for (const item of plan.items) {
    if (!first) out.add(' ');
    first = false;
    if (item.kind === 'simple') {
      out.add(`${item.name} ${SIMPLE_ITEMS[item.name].render(message, mailbox, structure)}`);
      continue;
    }
    switch (sectionData(item, message)) {
      case 'header':
        renderHeaderBlock(item, options.header ?? (await mailbox.readHeader(message)), out);
        break;
      case 'whole':
        await renderShortWholeMessage(item, message, mailbox, out);
        break;
      case 'range':
        await renderSection(item, structure!, message, mailbox, out);
        break;
    }
  }
  out.add(')\r\n');
  return out.finish();
}
