/**
 * Runs a SearchProgram over an opened snapshot folder. Semantics follow RFC 3501 and, where the RFC
 * leaves room, Dovecot's answers (see test/proxy/search/differential.test.ts): header and body
 * matches are case-insensitive substring matches on decoded text; snapshots never have \Recent.
 */
import type { OpenMailbox } from '../ports.js';
import { folderModseq } from '../protocol/modseq.js';
import { sequenceSetMatcher, type SequenceSet } from '../../sequence-set.js';
import { parseAddressList, writeAddressList } from './address.js';
import { visitMessages, type SearchData } from './content-reader.js';
import { compareDay, localWallClock } from './dates.js';
import { parseDateHeader } from '../../mail/dates.js';
import type { MessageContent } from './message-content.js';
import { firstField, type HeaderField } from './message-parts.js';
import { candidateSequences } from './index-prefilter.js';
import { headerMayMatch, RawNeedle } from './prefilter.js';
import { someKey, type SearchKey, type SearchProgram } from './program.js';
import { textMatches } from './text-search.js';
import { foldForSearch } from './text.js';
import { decodeHeaderValue } from '../../mail/header-text.js';

type LeafKey = Exclude<SearchKey, { kind: 'and' | 'or' | 'not' }>;

/** What evaluating each kind of key needs loaded of a message: one declaration per key, as FETCH items have. */
const KEY_DATA: { [K in LeafKey['kind']]: (key: Extract<LeafKey, { kind: K }>) => SearchData } = {
  all: () => 'index',
  flag: () => 'index',
  recent: () => 'index',
  sequence: () => 'index',
  uid: () => 'index',
  size: () => 'index',
  modseq: () => 'index',
  date: (key) => (key.field === 'sent' ? 'header' : 'index'),
  header: () => 'header',
  // An empty BODY/TEXT value matches without reading the body (the header is still read).
  text: (key) => (key.value === '' ? 'header' : 'whole'),
};

function leafData(key: SearchKey): SearchData {
  return (KEY_DATA[key.kind as LeafKey['kind']] as (key: SearchKey) => SearchData)(key);
}

/** What evaluating the key (through AND, OR and NOT) needs loaded of each message. */
export function searchData(key: SearchKey): SearchData {
  if (someKey(key, (inner) => leafData(inner) === 'whole')) return 'whole';
  if (someKey(key, (inner) => leafData(inner) === 'header')) return 'header';
  return 'index';
}

function compressBlanks(text: string): string {
  return text.replace(/^[ \t\r\n]+/, '').replace(/[ \t\r\n]+/g, ' ');
}

type HeaderKey = Extract<SearchKey, { kind: 'header' }>;

/** What a header key's value needs once per search, not once per message: its folded form and raw-byte test. */
interface HeaderNeedle {
  folded: string;
  raw: RawNeedle | null;
}
const headerNeedles = new WeakMap<HeaderKey, HeaderNeedle>();

function needleOf(key: HeaderKey): HeaderNeedle {
  let needle = headerNeedles.get(key);
  if (!needle) {
    const folded = foldForSearch(key.value);
    needle = { folded, raw: RawNeedle.compile(folded, key.match) };
    headerNeedles.set(key, needle);
  }
  return needle;
}

function headerMatches(message: MessageContent, key: HeaderKey): boolean {
  const needle = key.value === '' ? null : needleOf(key);
  // Before the header is even parsed: most messages of a big folder end here.
  if (needle?.raw && !headerMayMatch(message, needle.raw, key.match)) return false;
  const name = key.field.toLowerCase();
  const fields = message.headerFields().filter((field) => field.name.toLowerCase() === name);
  if (fields.length === 0) return false;
  if (!needle) return true;
  const wanted = needle.folded;
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
function dovecotSequenceSet(set: SequenceSet, count: number): SequenceSet {
  return set.map((range) =>
    range.from === null && range.to === null ? { from: count, to: count } : { from: range.from ?? Infinity, to: range.to ?? Infinity },
  );
}

interface FolderFacts {
  count: number;
  largestUid: number;
  /** Every message's MODSEQ (protocol/modseq.ts); 1 when not given. */
  modseq?: bigint;
}

type SetKey = Extract<SearchKey, { kind: 'uid' | 'sequence' }>;
/** A key's set, prepared once per search rather than walked range by range for every message. */
const setMatchers = new WeakMap<SetKey, { folder: FolderFacts; contains: (value: number) => boolean }>();

function setMatcher(key: SetKey, folder: FolderFacts): (value: number) => boolean {
  let prepared = setMatchers.get(key);
  if (!prepared || prepared.folder !== folder) {
    const contains =
      key.kind === 'uid' ? sequenceSetMatcher(key.set, folder.largestUid) : sequenceSetMatcher(dovecotSequenceSet(key.set, folder.count), folder.count);
    prepared = { folder, contains };
    setMatchers.set(key, prepared);
  }
  return prepared.contains;
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
      return setMatcher(key, folder)(message.sequence);
    case 'uid':
      return setMatcher(key, folder)(message.ref.uid);
    case 'size':
      return key.comparison === 'larger' ? message.ref.size > key.size : message.ref.size < key.size;
    case 'date': {
      const wallClock = key.field === 'internal' ? localWallClock(message.ref.internalDate) : sentWallClock(message.headerFields());
      return compareDay(wallClock, key.comparison, key.day);
    }
    case 'header':
      return headerMatches(message, key);
    case 'text':
      return textMatches(message, key);
    case 'modseq':
      return (folder.modseq ?? 1n) >= key.value;
  }
}

/** Sequence numbers (1-based, ascending) of the messages the program matches. */
export async function runSearch(program: SearchProgram, mailbox: OpenMailbox): Promise<number[]> {
  const messages = mailbox.messages;
  const folder: FolderFacts = { count: messages.length, largestUid: messages.length ? messages[messages.length - 1].uid : 0, modseq: folderModseq(mailbox) };
  const matches: number[] = [];
  // Only the messages the search index leaves in are read; the rest cannot match.
  const data = searchData(program.key);
  const candidates = data === 'whole' ? await candidateSequences(program.key, mailbox) : null;
  await visitMessages(mailbox, data, (message) => {
    if (matchesKey(program.key, message, folder)) matches.push(message.sequence);
  }, candidates ?? undefined);
  return matches;
}
