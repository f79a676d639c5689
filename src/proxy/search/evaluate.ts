/**
 * Runs a SearchProgram over an opened snapshot folder. Semantics follow RFC 3501 and, where the RFC
 * leaves room, Dovecot's answers (see test/proxy/search/differential.test.ts): header and body
 * matches are case-insensitive substring matches on decoded text; snapshots never have \Recent.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import { sequenceSetContains, type SequenceSet } from '../protocol/sequence-set.js';
import { parseAddressList, writeAddressList } from './address.js';
import { compareDay, localWallClock, parseDateHeader } from './dates.js';
import type { MessageStructure } from '../../snapshots/mime/structure.js';
import { firstField, flattenParts, messageParts, parseHeader, type HeaderField, type MimePart } from './message-parts.js';
import type { SearchKey, SearchProgram } from './program.js';
import { decodeCharset, decodeHeaderValue, decodeTransferEncoding, foldForSearch } from './text.js';

/** One message while a search runs: its place in the folder and, when needed, its parsed content. */
export class MessageContent {
  private parts?: MimePart;
  private fields?: HeaderField[];
  private segments = new Map<'body' | 'text', string[]>();

  constructor(
    readonly ref: MessageRef,
    readonly sequence: number,
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
        for (const field of part.fields) {
          text += `${foldForSearch(field.name)}${field.middle}${foldForSearch(decodeHeaderValue(field.value))}\r\n`;
        }
        if (part.headerTerminated) text += '\r\n';
      }
      const searchable = part.contentType === '' || part.contentType.startsWith('text/') || part.contentType.startsWith('message/');
      if (searchable && part.children.length === 0 && part.bodyEnd > part.bodyStart) {
        const body = decodeTransferEncoding(this.raw.subarray(part.bodyStart, part.bodyEnd), part.transferEncoding);
        text += foldForSearch(decodeCharset(body, part.charset));
      }
      if (text) segments.push(text);
    }
    this.segments.set(scope, segments);
    return segments;
  }
}

/** Whether evaluating the key searches bodies (and so needs the part structure). */
export function needsBodies(key: SearchKey): boolean {
  switch (key.kind) {
    case 'and':
      return key.keys.some(needsBodies);
    case 'or':
      return needsBodies(key.left) || needsBodies(key.right);
    case 'not':
      return needsBodies(key.key);
    case 'text':
      return key.value !== '';
    default:
      return false;
  }
}

/** Whether evaluating the key needs the message bytes (headers, bodies, sent date). */
export function needsContent(key: SearchKey): boolean {
  switch (key.kind) {
    case 'and':
      return key.keys.some(needsContent);
    case 'or':
      return needsContent(key.left) || needsContent(key.right);
    case 'not':
      return needsContent(key.key);
    case 'header':
    case 'text':
      return true;
    case 'date':
      return key.field === 'sent';
    default:
      return false;
  }
}

function compressBlanks(text: string): string {
  return text.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+/g, ' ');
}

function headerMatches(message: MessageContent, key: Extract<SearchKey, { kind: 'header' }>): boolean {
  const name = key.field.toLowerCase();
  const fields = message.headerFields().filter((field) => field.name.toLowerCase() === name);
  if (fields.length === 0) return false;
  if (key.value === '') return true;
  const wanted = foldForSearch(key.value);
  if (!wanted) return false;
  return fields.some((field) => {
    let text: string;
    switch (key.match) {
      case 'address':
        text = decodeHeaderValue(writeAddressList(parseAddressList(field.value.toString('utf8'))));
        break;
      case 'compressed':
        text = decodeHeaderValue(compressBlanks(field.value.toString('utf8')));
        break;
      default:
        text = decodeHeaderValue(field.value);
    }
    return foldForSearch(text).includes(wanted);
  });
}

/** Wall-clock Date: of the message; 0 (1970) when missing or unreadable, as Dovecot has it. */
export function sentWallClock(fields: HeaderField[]): number {
  const field = firstField(fields, 'Date');
  const parsed = field ? parseDateHeader(field.value.toString('latin1')) : null;
  return parsed ? parsed.time + parsed.offsetMinutes * 60000 : 0;
}

/**
 * Dovecot 2.3 reads `*` in a range of message sequence numbers as "no upper limit" (so `100:*` in a
 * 53-message folder matches nothing, where RFC 3501 would give message 53); a lone `*` is the last
 * message. UID sets follow RFC 3501.
 */
function sequenceContains(set: SequenceSet, sequence: number, count: number): boolean {
  return set.some((range) => {
    if (range.from === null && range.to === null) return sequence === count;
    const low = Math.min(range.from ?? Infinity, range.to ?? Infinity);
    const high = Math.max(range.from ?? Infinity, range.to ?? Infinity);
    return sequence >= low && sequence <= high;
  });
}

interface FolderFacts {
  count: number;
  largestUid: number;
}

export function matchesKey(key: SearchKey, message: MessageContent, folder: FolderFacts): boolean {
  switch (key.kind) {
    case 'all':
      return true;
    case 'and':
      return key.keys.every((sub) => matchesKey(sub, message, folder));
    case 'or':
      return matchesKey(key.left, message, folder) || matchesKey(key.right, message, folder);
    case 'not':
      return !matchesKey(key.key, message, folder);
    case 'flag': {
      const wanted = key.flag.toLowerCase();
      return message.ref.flags.some((flag) => flag.toLowerCase() === wanted);
    }
    case 'recent':
      return false; // a snapshot is never new to anyone
    case 'sequence':
      return sequenceContains(key.set, message.sequence, folder.count);
    case 'uid':
      return sequenceSetContains(key.set, message.ref.uid, folder.largestUid);
    case 'size':
      return key.comparison === 'larger' ? message.ref.size > key.size : message.ref.size < key.size;
    case 'date': {
      const wallClock = key.field === 'internal' ? localWallClock(message.ref.internalDate) : sentWallClock(message.headerFields());
      return compareDay(wallClock, key.comparison, key.day);
    }
    case 'header':
      return headerMatches(message, key);
    case 'text': {
      const wanted = foldForSearch(key.value);
      if (!wanted) return key.value === '';
      return message.textSegments(key.scope).some((segment) => segment.includes(wanted));
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Just the header block of a message (what header keys, SORT and THREAD read). */
export function readHeaderBlock(mailbox: OpenMailbox, ref: MessageRef): Promise<Buffer> {
  return mailbox.readHeader(ref);
}

/** Sequence numbers (1-based, ascending) of the messages the program matches. */
export async function runSearch(program: SearchProgram, mailbox: OpenMailbox): Promise<number[]> {
  const messages = mailbox.messages;
  const folder: FolderFacts = { count: messages.length, largestUid: messages.length ? messages[messages.length - 1].uid : 0 };
  const withContent = needsContent(program.key);
  const withBodies = needsBodies(program.key);
  const matches: number[] = [];
  for (let i = 0; i < messages.length; i++) {
    // Bodies need the whole message; header keys only its header block.
    const structure = withBodies ? await mailbox.structure(messages[i]) : undefined;
    const raw = withBodies ? await mailbox.readAll(messages[i]) : withContent ? await readHeaderBlock(mailbox, messages[i]) : EMPTY;
    if (matchesKey(program.key, new MessageContent(messages[i], i + 1, raw, structure), folder)) matches.push(i + 1);
  }
  return matches;
}
