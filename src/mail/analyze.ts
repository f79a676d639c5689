/**
 * One streaming pass over a raw message → MessageStructure (part tree with byte offsets, envelope,
 * everything BODYSTRUCTURE needs). Lines are scanned as they arrive; only a bounded head of each
 * line and the header blocks are kept, so a 50 MB message costs a few kilobytes of state.
 * Boundary and size accounting follow Dovecot 2.3's message parser (see comments inline).
 */
import { parseAddressList } from './address.js';
import { parseContentType, parseDisposition, parseEncoding, parseLanguage } from './content-headers.js';
import { STRUCTURE_VERSION, type Envelope, type EnvelopeAddress, type MessageStructure, type MimePart } from './structure.js';

/** Enough of a body line to recognise any boundary (RFC 2046: ≤ 70 chars) with room to spare. */
const LINE_HEAD = 200;
/** Dovecot looks this far into a boundary line that has no LF in sight (RFC 2046's 70 + dashes + slack). */
const BOUNDARY_END_MAX_LEN = 70 + 2 + 2 + 10;
/** Header blocks beyond this are still measured but not parsed further. */
const MAX_HEADER_KEPT = 1024 * 1024;

interface Position {
  offset: number;
  lf: number;
  bareLf: number;
}

interface OpenPart {
  part: MimePart;
  parent: OpenPart | null;
  headerStart: Position;
  bodyStart: Position;
  header: string[];
  headerBytes: number;
  /** Part of a multipart: Content-* headers count even without MIME-Version. */
  inMultipart: boolean;
  digestChild: boolean;
}

interface Boundary {
  marker: string;
  owner: OpenPart;
}

function newPart(start: number): MimePart {
  return {
    kind: 'text',
    headerStart: start,
    bodyStart: start,
    bodyEnd: start,
    bodyLines: 0,
    bodyVirtualSize: 0,
    headerLines: 0,
    headerVirtualSize: 0,
    type: null,
    subtype: null,
    params: [],
    id: null,
    description: null,
    encoding: null,
    md5: null,
    disposition: null,
    dispositionParams: [],
    language: null,
    location: null,
    children: [],
  };
}

/** Header fields of a block: [lower-case name, value as Dovecot's full_value (folds joined by "\n")]. */
export function headerFields(lines: string[]): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  let current: [string, string] | null = null;
  for (const raw of lines) {
    const line = raw.replace(/\r?\n$/, '');
    if ((line.startsWith(' ') || line.startsWith('\t')) && current) {
      current[1] += `\n${line}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon < 0) {
      current = null;
      continue;
    }
    current = [line.slice(0, colon).replace(/[ \t]+$/, '').toLowerCase(), line.slice(colon + 1).replace(/^[ \t]+/, '')];
    fields.push(current);
  }
  return fields;
}

function buildEnvelope(fields: Array<[string, string]>): Envelope {
  const env: Envelope = { date: null, subject: null, from: null, sender: null, replyTo: null, to: null, cc: null, bcc: null, inReplyTo: null, messageId: null };
  // Dovecot: a string field takes the last line's value; an address field collects the addresses
  // of every line with that name (a message with two To: lines is addressed to both lists).
  const addresses = (list: EnvelopeAddress[] | null, value: string): EnvelopeAddress[] | null => {
    const more = parseAddressList(value);
    if (!more) return list;
    return list ? [...list, ...more] : more;
  };
  for (const [name, value] of fields) {
    switch (name) {
      case 'date': env.date = value; break;
      case 'subject': env.subject = value; break;
      case 'message-id': env.messageId = value; break;
      case 'in-reply-to': env.inReplyTo = value; break;
      case 'from': env.from = addresses(env.from, value); break;
      case 'sender': env.sender = addresses(env.sender, value); break;
      case 'reply-to': env.replyTo = addresses(env.replyTo, value); break;
      case 'to': env.to = addresses(env.to, value); break;
      case 'cc': env.cc = addresses(env.cc, value); break;
      case 'bcc': env.bcc = addresses(env.bcc, value); break;
    }
  }
  return env;
}

/** Applies the Content-* headers to a part; the first occurrence of each (readable, for some) wins, as in Dovecot. */
function applyContentHeaders(part: MimePart, fields: Array<[string, string]>, isMime: boolean): void {
  let seenType = false;
  for (const [name, value] of fields) {
    if (!name.startsWith('content-')) continue;
    switch (name.slice(8)) {
      case 'type':
        if (seenType) break;
        seenType = true;
        {
          const ct = parseContentType(value);
          part.type = ct.type;
          part.subtype = ct.subtype;
          part.params = ct.params;
        }
        break;
      case 'transfer-encoding':
        // The first readable one: Dovecot skips "" or "base64 junk" and takes a later line
        part.encoding ??= parseEncoding(value);
        break;
      case 'id': part.id ??= value; break;
      case 'md5': part.md5 ??= value; break;
      case 'description': part.description ??= value; break;
      case 'location': part.location ??= value; break;
      case 'language': if (part.language === null) part.language = parseLanguage(value); break;
      case 'disposition':
        // Dovecot reads Content-Disposition lines until one has parameters: the last one before that wins
        if (part.dispositionParams.length > 0) break;
        {
          const d = parseDisposition(value);
          if (d) {
            part.disposition = d.value;
            part.dispositionParams = d.params;
          }
        }
        break;
    }
  }
  if (!isMime) {
    // Without MIME-Version (and no Content-Type) the Content-* headers are ignored
    Object.assign(part, { type: null, subtype: null, params: [], id: null, description: null, encoding: null, md5: null, disposition: null, dispositionParams: [], language: null, location: null });
  }
}

export class MessageAnalyzer {
  private pos: Position = { offset: 0, lf: 0, bareLf: 0 };
  private lineStart: Position = { offset: 0, lf: 0, bareLf: 0 };
  private lineHead: Buffer[] = [];
  private lineHeadBytes = 0;
  private lineFull: Buffer[] = [];
  private prevByte = -1;
  /** How the previous line ended: 2 for CRLF, 1 for a bare LF. */
  private prevNewline = 0;
  private state: 'header' | 'body' = 'header';
  private current: OpenPart;
  private readonly root: OpenPart;
  private boundaries: Boundary[] = [];
  /** How much of a line is kept: enough for the longest boundary in force (RFC 2046's 70 is not enforced). */
  private lineHeadLimit = LINE_HEAD;
  /** Offset just after the last boundary line seen. */
  private boundaryLineEnd = -1;

  constructor() {
    this.root = this.open(null, this.pos, false, false);
    this.current = this.root;
  }

  private open(parent: OpenPart | null, at: Position, inMultipart: boolean, digestChild: boolean): OpenPart {
    const part = newPart(at.offset);
    const open: OpenPart = { part, parent, headerStart: { ...at }, bodyStart: { ...at }, header: [], headerBytes: 0, inMultipart, digestChild };
    if (parent) parent.part.children.push(part);
    return open;
  }

  push(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      const lf = chunk.indexOf(10, from);
      const end = lf < 0 ? chunk.length : lf + 1;
      const piece = chunk.subarray(from, end);
      this.collect(piece);
      if (lf >= 0) {
        const cr = lf > from ? chunk[lf - 1] === 13 : this.prevByte === 13;
        this.pos = { offset: this.pos.offset + piece.length, lf: this.pos.lf + 1, bareLf: this.pos.bareLf + (cr ? 0 : 1) };
        this.prevByte = 10;
        this.endLine(cr ? 2 : 1);
      } else {
        this.pos = { ...this.pos, offset: this.pos.offset + piece.length };
        this.prevByte = piece[piece.length - 1];
      }
      from = end;
    }
  }

  private collect(piece: Buffer): void {
    if (this.state === 'header') {
      this.lineFull.push(Buffer.from(piece));
    }
    if (this.lineHeadBytes < this.lineHeadLimit) {
      const take = piece.subarray(0, this.lineHeadLimit - this.lineHeadBytes);
      this.lineHead.push(Buffer.from(take));
      this.lineHeadBytes += take.length;
    }
  }

  private endLine(newline: number): void {
    const head = Buffer.concat(this.lineHead).toString('latin1');
    const full = this.state === 'header' ? Buffer.concat(this.lineFull).toString('latin1') : '';
    this.onLine(head, full, this.lineStart, newline);
    this.lineHead = [];
    this.lineHeadBytes = 0;
    this.lineFull = [];
    this.prevNewline = newline;
    this.lineStart = { ...this.pos };
  }

  /**
   * The boundary a line starting with "--" is, as Dovecot's boundary_find decides: searched from the
   * innermost multipart out, so a nested multipart that reuses its parent's boundary owns the line;
   * a longer matching prefix beats a shorter one, except that an exact match (or "--b--" for b) stops
   * the search — "--b--" closes b even when an outer boundary is named "b--".
   */
  private findBoundary(head: string): Boundary | null {
    if (!head.startsWith('--')) return null;
    let line = head.slice(2);
    const lf = line.indexOf('\n');
    if (lf >= 0) line = line.slice(0, lf > 0 && line[lf - 1] === '\r' ? lf - 1 : lf);
    else if (line.length > BOUNDARY_END_MAX_LEN) line = line.slice(0, BOUNDARY_END_MAX_LEN);
    const trailingDashes = line.length > 2 && line.endsWith('--');
    let best: Boundary | null = null;
    for (let i = this.boundaries.length - 1; i >= 0; i--) {
      const b = this.boundaries[i];
      const length = b.marker.length - 2;
      if (length > line.length || !line.startsWith(b.marker.slice(2)) || (best && best.marker.length >= b.marker.length)) continue;
      best = b;
      if (length === line.length || (trailingDashes && length === line.length - 2)) break;
    }
    return best;
  }

  private onLine(head: string, full: string, start: Position, _newline: number): void {
    if (this.state === 'header') {
      const boundary = this.findBoundary(head);
      if (boundary && boundary.owner !== this.current) {
        // A boundary inside a header block ends the header there (the header had no blank line)
        this.finishHeader(start);
        this.crossBoundary(boundary, head, start, true);
        return;
      }
      if (head === '\r\n' || head === '\n') {
        this.finishHeader(this.pos);
        return;
      }
      const cur = this.current;
      if (cur.headerBytes < MAX_HEADER_KEPT) cur.header.push(full);
      cur.headerBytes += full.length;
      return;
    }
    const boundary = this.findBoundary(head);
    if (boundary) this.crossBoundary(boundary, head, start, false);
  }

  private finishHeader(at: Position): void {
    const cur = this.current;
    const part = cur.part;
    cur.bodyStart = { ...at };
    part.bodyStart = at.offset;
    part.headerLines = at.lf - cur.headerStart.lf;
    part.headerVirtualSize = at.offset - cur.headerStart.offset + (at.bareLf - cur.headerStart.bareLf);
    const fields = headerFields(cur.header);
    const isMessage = cur.parent === null || cur.parent.part.kind === 'message';
    const hasType = fields.some(([n]) => n === 'content-type');
    const isMime = cur.inMultipart || hasType || fields.some(([n]) => n === 'mime-version');
    applyContentHeaders(part, fields, isMime);
    if (isMessage) part.envelope = buildEnvelope(fields);
    cur.header = [];
    const type = (part.type ?? '').toLowerCase();
    const subtype = (part.subtype ?? '').toLowerCase();
    if ((type === 'message' && subtype === 'rfc822') || (!hasType && cur.digestChild)) part.kind = 'message';
    else if (type === 'multipart') part.kind = 'multipart';
    else if (part.type === null || type === 'text') part.kind = 'text';
    else part.kind = 'other';
    if (part.kind === 'multipart') {
      const boundary = part.params.find(([k]) => k.toLowerCase() === 'boundary');
      if (boundary && isMime) {
        this.boundaries.push({ marker: `--${boundary[1]}`, owner: cur });
        this.lineHeadLimit = Math.max(this.lineHeadLimit, boundary[1].length + 8);
      }
      this.state = 'body';
    } else if (part.kind === 'message') {
      this.current = this.open(cur, at, false, false);
      this.state = 'header';
    } else {
      this.state = 'body';
    }
  }

  /** Ends the parts inside `boundary.owner` at this boundary line; opens the next part unless it is the closing one. */
  private crossBoundary(boundary: Boundary, head: string, start: Position, inHeader: boolean): void {
    let end = start;
    const cur = this.current;
    if (!inHeader && start.offset > cur.bodyStart.offset && start.offset !== this.boundaryLineEnd) {
      // The [CR]LF before "--boundary" belongs to the boundary, not to the part's body — unless
      // that newline ends another boundary line (Dovecot starts a fresh line search after one)
      end = { offset: start.offset - this.prevNewline, lf: start.lf - 1, bareLf: start.bareLf - (this.prevNewline === 1 ? 1 : 0) };
    }
    for (let open: OpenPart | null = cur; open && open !== boundary.owner; open = open.parent) {
      // An empty body ended by a boundary: the header's blank line is the boundary's newline (Dovecot)
      const b = open.part.bodyStart;
      if (b === start.offset && b > open.part.headerStart && this.prevNewline > 0) {
        open.part.bodyStart = b - this.prevNewline;
        open.bodyStart = { offset: b - this.prevNewline, lf: start.lf - 1, bareLf: start.bareLf - (this.prevNewline === 1 ? 1 : 0) };
        // A message/rfc822 part's embedded message starts there too, with an empty header and body
        // (Dovecot places it after the shortened header): move it along whole.
        for (const child of open.part.children) {
          if (child.headerStart !== b) continue;
          child.headerStart = open.part.bodyStart;
          if (child.bodyStart === b) child.bodyStart = open.part.bodyStart;
          if (child.bodyEnd === b) child.bodyEnd = open.part.bodyStart;
        }
        this.close(open, open.bodyStart);
        continue;
      }
      this.close(open, end);
    }
    this.boundaryLineEnd = this.pos.offset;
    const index = this.boundaries.indexOf(boundary);
    const closing = head.startsWith(`${boundary.marker}--`);
    this.boundaries.length = closing ? index : index + 1;
    this.current = boundary.owner;
    if (closing) {
      this.state = 'body';
    } else {
      const owner = boundary.owner;
      const digest = (owner.part.subtype ?? '').toLowerCase() === 'digest';
      // the part's header starts after the boundary line; set once that line ends
      this.pendingChild = { owner, digest };
      this.state = 'body';
    }
  }

  private pendingChild: { owner: OpenPart; digest: boolean } | null = null;

  private close(open: OpenPart, end: Position): void {
    const part = open.part;
    if (end.offset < open.bodyStart.offset) end = open.bodyStart;
    part.bodyEnd = end.offset;
    part.bodyLines = end.lf - open.bodyStart.lf;
    part.bodyVirtualSize = end.offset - open.bodyStart.offset + (end.bareLf - open.bodyStart.bareLf);
  }

  /** Called after each line: a pending part begins right after its boundary line. */
  private startPending(): void {
    if (!this.pendingChild) return;
    const { owner, digest } = this.pendingChild;
    this.pendingChild = null;
    this.current = this.open(owner, this.pos, true, digest);
    this.state = 'header';
  }

  /** Feeds a chunk; boundary lines open their next part once complete. */
  write(chunk: Buffer): void {
    let from = 0;
    while (from < chunk.length) {
      if (this.state === 'body' && this.lineHeadBytes === 0 && this.lineFull.length === 0 && !this.pendingChild) {
        from = this.skipPlainBodyLines(chunk, from);
        if (from >= chunk.length) break;
      }
      const lf = chunk.indexOf(10, from);
      const end = lf < 0 ? chunk.length : lf + 1;
      this.push(chunk.subarray(from, end));
      if (lf >= 0) this.startPending();
      from = end;
    }
  }

  /**
   * Most of a message is body lines that cannot be boundaries (they do not start with "--"): they
   * only move the position, so they are counted here without the per-line copies of push().
   * Stops at a possible boundary or an incomplete line, which push() then handles.
   */
  private skipPlainBodyLines(chunk: Buffer, from: number): number {
    let { offset, lf, bareLf } = this.pos;
    let prevByte = this.prevByte;
    let newline = this.prevNewline;
    let at = from;
    while (at < chunk.length) {
      const end = chunk.indexOf(10, at);
      if (end < 0) break;
      if (chunk[at] === 45 && chunk[at + 1] === 45) break;
      const cr = end > at ? chunk[end - 1] === 13 : prevByte === 13;
      offset += end + 1 - at;
      lf += 1;
      if (!cr) bareLf += 1;
      newline = cr ? 2 : 1;
      prevByte = 10;
      at = end + 1;
    }
    if (at === from) return from;
    this.pos = { offset, lf, bareLf };
    this.prevByte = prevByte;
    this.prevNewline = newline;
    this.lineStart = { ...this.pos };
    return at;
  }

  finish(): MessageStructure {
    if (this.lineHeadBytes > 0 || this.lineFull.length > 0) {
      // last line without LF
      const head = Buffer.concat(this.lineHead).toString('latin1');
      const full = this.state === 'header' ? Buffer.concat(this.lineFull).toString('latin1') : '';
      const start = this.lineStart;
      if (this.state === 'header') {
        const boundary = this.findBoundary(head);
        if (boundary && boundary.owner !== this.current) {
          this.finishHeader(start);
          this.crossBoundary(boundary, head, start, true);
        } else {
          const cur = this.current;
          if (cur.headerBytes < MAX_HEADER_KEPT) cur.header.push(full);
        }
      } else {
        const boundary = this.findBoundary(head);
        if (boundary) this.crossBoundary(boundary, head, start, false);
      }
    }
    this.pendingChild = null;
    if (this.pendingChild === null && this.state === 'header') this.finishHeader(this.pos);
    // a message/rfc822 header that ended at EOF opened an empty embedded message: give it a header
    while (this.state === 'header') this.finishHeader(this.pos);
    for (let open: OpenPart | null = this.current; open; open = open.parent) this.close(open, this.pos);
    const root = this.root.part;
    return {
      version: STRUCTURE_VERSION,
      size: this.pos.offset,
      virtualSize: this.pos.offset + this.pos.bareLf,
      headerLength: root.bodyStart - root.headerStart,
      root,
    };
  }
}

type Source = Buffer | AsyncIterable<Buffer | string> | NodeJS.ReadableStream;

/** Analyzes a raw RFC 5322 message, streaming. */
export async function analyzeMessage(source: Source): Promise<MessageStructure> {
  const analyzer = new MessageAnalyzer();
  if (Buffer.isBuffer(source)) {
    analyzer.write(source);
  } else {
    for await (const chunk of source as AsyncIterable<Buffer | string>) {
      analyzer.write(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
    }
  }
  return analyzer.finish();
}
