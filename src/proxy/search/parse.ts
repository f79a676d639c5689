/**
 * SEARCH arguments → SearchProgram (RFC 3501 §6.4.4, ESEARCH RETURN of RFC 4731).
 * Every syntax problem is a SearchError fit for a BAD response; an unsupported charset is a
 * SearchError for `NO [BADCHARSET (UTF-8 US-ASCII)]`.
 */
import type { Token } from '../protocol/tokens.js';
import { parseSequenceSet } from '../../sequence-set.js';
import { parseModseq } from '../protocol/modseq.js';
import { parseImapDate } from '../../mail/dates.js';
import { BADCHARSET_CODE, SearchError, SUPPORTED_CHARSETS, type ReturnOption, type SearchKey, type SearchProgram } from './program.js';

const FLAG_KEYS: Record<string, { flag: string; negate: boolean }> = {
  ANSWERED: { flag: '\\Answered', negate: false },
  DELETED: { flag: '\\Deleted', negate: false },
  DRAFT: { flag: '\\Draft', negate: false },
  FLAGGED: { flag: '\\Flagged', negate: false },
  SEEN: { flag: '\\Seen', negate: false },
  UNANSWERED: { flag: '\\Answered', negate: true },
  UNDELETED: { flag: '\\Deleted', negate: true },
  UNDRAFT: { flag: '\\Draft', negate: true },
  UNFLAGGED: { flag: '\\Flagged', negate: true },
  UNSEEN: { flag: '\\Seen', negate: true },
};

const DATE_KEYS: Record<string, Pick<Extract<SearchKey, { kind: 'date' }>, 'field' | 'comparison'>> = {
  BEFORE: { field: 'internal', comparison: 'before' },
  ON: { field: 'internal', comparison: 'on' },
  SINCE: { field: 'internal', comparison: 'since' },
  SENTBEFORE: { field: 'sent', comparison: 'before' },
  SENTON: { field: 'sent', comparison: 'on' },
  SENTSINCE: { field: 'sent', comparison: 'since' },
};

/** Header keys and how Dovecot compares them: address lists normalised, Subject with blanks compressed. */
const HEADER_KEYS: Record<string, { field: string; match: 'address' | 'compressed' }> = {
  FROM: { field: 'From', match: 'address' },
  TO: { field: 'To', match: 'address' },
  CC: { field: 'Cc', match: 'address' },
  BCC: { field: 'Bcc', match: 'address' },
  SUBJECT: { field: 'Subject', match: 'compressed' },
};

const ATOM_SPECIALS = /[(){ %*"\\\]\x00-\x1f\x7f]/;

/**
 * How deeply keys may nest (NOT, OR and parenthesised lists together). Parsing and evaluating
 * recurse once per level: without a bound, a line of 4,000 `NOT`s overflowed the stack. Real
 * clients stay far below (an OR chain of a few dozen terms).
 */
export const MAX_SEARCH_DEPTH = 500;

class Reader {
  private index = 0;
  constructor(
    private readonly tokens: Token[],
    readonly charset: SearchProgram['charset'],
    /** Nesting level of the keys read here. */
    readonly depth = 0,
  ) {}

  get done(): boolean {
    return this.index >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.index];
  }

  next(what: string): Token {
    const token = this.tokens[this.index++];
    if (!token) throw new SearchError(`Missing ${what} in SEARCH`);
    return token;
  }

  /** An astring argument, decoded from the request's charset. */
  string(what: string): string {
    const token = this.next(what);
    if (token.type === 'list') throw new SearchError(`Expected ${what}, got a list`);
    if (token.type === 'atom') {
      if (token.section || token.partial) throw new SearchError(`Invalid ${what}`);
      return token.value;
    }
    // US-ASCII is a subset of UTF-8; like Dovecot, 8-bit bytes under US-ASCII are read as UTF-8.
    return token.value.toString('utf8');
  }

  /** An atom argument (numbers, dates, sequence sets, flag keywords). */
  atom(what: string): string {
    const token = this.next(what);
    if (token.type === 'atom' && !token.section && !token.partial) return token.value;
    if (token.type === 'string' && !token.literal) return token.value.toString('utf8');
    throw new SearchError(`Expected ${what}`);
  }
}

function parseNumber(text: string, what: string): number {
  if (!/^\d+$/.test(text)) throw new SearchError(`Invalid ${what}: ${text}`);
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value > 0xffffffff) throw new SearchError(`${what} out of range: ${text}`);
  return value;
}

function parseKey(reader: Reader, depth = reader.depth): SearchKey {
  if (depth > MAX_SEARCH_DEPTH) throw new SearchError(`Search keys nested too deeply (limit ${MAX_SEARCH_DEPTH} levels)`);
  const token = reader.next('search key');
  if (token.type === 'list') {
    if (token.items.length === 0) throw new SearchError('Empty search key list');
    return parseKeyList(new Reader(token.items, reader.charset, depth + 1));
  }
  if (token.type === 'string') throw new SearchError('Unexpected string where a search key was expected');
  if (token.section || token.partial) throw new SearchError(`Unknown search key ${token.value}`);
  const name = token.value.toUpperCase();
  const flagKey = FLAG_KEYS[name];
  if (flagKey) {
    const key: SearchKey = { kind: 'flag', flag: flagKey.flag };
    return flagKey.negate ? { kind: 'not', key } : key;
  }
  const dateKey = DATE_KEYS[name];
  if (dateKey) {
    const text = reader.atom('date');
    const day = parseImapDate(text);
    if (day === null) throw new SearchError(`Invalid date: ${text}`);
    return { kind: 'date', ...dateKey, day };
  }
  const headerKey = HEADER_KEYS[name];
  if (headerKey) return { kind: 'header', field: headerKey.field, match: headerKey.match, value: reader.string('search string') };
  switch (name) {
    case 'ALL':
      return { kind: 'all' };
    case 'RECENT':
      return { kind: 'recent' };
    case 'NEW':
      return { kind: 'and', keys: [{ kind: 'recent' }, { kind: 'not', key: { kind: 'flag', flag: '\\Seen' } }] };
    case 'OLD':
      return { kind: 'not', key: { kind: 'recent' } };
    case 'KEYWORD':
    case 'UNKEYWORD': {
      const keyword = reader.atom('keyword');
      if (!keyword || ATOM_SPECIALS.test(keyword) || keyword.includes(']')) throw new SearchError(`Invalid keyword: ${keyword}`);
      const key: SearchKey = { kind: 'flag', flag: keyword };
      return name === 'KEYWORD' ? key : { kind: 'not', key };
    }
    case 'LARGER':
    case 'SMALLER':
      return { kind: 'size', comparison: name === 'LARGER' ? 'larger' : 'smaller', size: parseNumber(reader.atom('size'), 'size') };
    case 'HEADER': {
      const field = reader.string('header field name');
      const value = reader.string('search string');
      return { kind: 'header', field, value, match: 'plain' };
    }
    case 'BODY':
    case 'TEXT':
      return { kind: 'text', scope: name === 'BODY' ? 'body' : 'text', value: reader.string('search string') };
    case 'NOT':
      return { kind: 'not', key: parseKey(reader, depth + 1) };
    case 'OR': {
      const left = parseKey(reader, depth + 1);
      const right = parseKey(reader, depth + 1);
      return { kind: 'or', left, right };
    }
    case 'MODSEQ': {
      // `MODSEQ "/flags/\\Seen" all 5`: the entry name is a string, its type one of three words.
      if (reader.peek()?.type === 'string') {
        reader.next('MODSEQ entry name');
        const type = reader.atom('MODSEQ entry type').toLowerCase();
        if (!['priv', 'shared', 'all'].includes(type)) throw new SearchError('Invalid MODSEQ entry type; use priv, shared or all');
      }
      const text = reader.atom('mod-sequence value');
      const value = parseModseq(text);
      if (value === null) throw new SearchError(`Invalid mod-sequence value: ${text.slice(0, 30)}`);
      return { kind: 'modseq', value };
    }
    case 'UID': {
      const text = reader.atom('UID set');
      const set = parseSequenceSet(text);
      if (!set) throw new SearchError(`Invalid UID set: ${text}`);
      return { kind: 'uid', set };
    }
    default: {
      const set = parseSequenceSet(token.value);
      if (set) return { kind: 'sequence', set };
      throw new SearchError(`Unknown search key: ${token.value}`);
    }
  }
}

function parseKeyList(reader: Reader): SearchKey {
  const keys: SearchKey[] = [];
  while (!reader.done) keys.push(parseKey(reader));
  return keys.length === 1 ? keys[0] : { kind: 'and', keys };
}

const RETURN_OPTIONS: ReturnOption[] = ['MIN', 'MAX', 'COUNT', 'ALL'];

function isAtom(token: Token | undefined, value: string): boolean {
  return token?.type === 'atom' && !token.section && token.value.toUpperCase() === value;
}

/** `PARTIAL first:last` (RFC 5267 §4.4): both positive; given backwards they are swapped, as Dovecot does. */
function parsePartialRange(token: Token | undefined): { first: number; last: number } {
  const text = token?.type === 'atom' && !token.section ? token.value : '';
  const match = /^(\d{1,10}):(\d{1,10})$/.exec(text);
  const a = match ? Number(match[1]) : 0;
  const b = match ? Number(match[2]) : 0;
  if (a < 1 || b < 1 || a > 0xffffffff || b > 0xffffffff) throw new SearchError('PARTIAL needs a range of positions like 1:100');
  return { first: Math.min(a, b), last: Math.max(a, b) };
}

export type ReturnSpec = Pick<SearchProgram, 'returnOptions' | 'partial' | 'update'>;

/**
 * The list after RETURN, for SEARCH (RFC 4731, RFC 5267) and SORT (ESORT): MIN MAX COUNT ALL,
 * PARTIAL m:n, CONTEXT (nothing to do) and UPDATE; anything else is refused (BAD), not ignored.
 */
export function parseReturnOptions(list: Token | undefined): ReturnSpec {
  if (!list || list.type !== 'list') throw new SearchError('RETURN needs a parenthesised list of options');
  const chosen = new Set<ReturnOption>();
  const spec: ReturnSpec = { returnOptions: [] };
  let asked = false;
  for (let i = 0; i < list.items.length; i++) {
    const item = list.items[i];
    const name = item.type === 'atom' && !item.section ? item.value.toUpperCase() : '';
    if (RETURN_OPTIONS.includes(name as ReturnOption)) {
      chosen.add(name as ReturnOption);
      asked = true;
    } else if (name === 'PARTIAL') {
      if (spec.partial) throw new SearchError('PARTIAL can be used only once');
      spec.partial = parsePartialRange(list.items[++i]);
      asked = true;
    } else if (name === 'UPDATE') {
      if (spec.update) throw new SearchError('UPDATE can be used only once');
      spec.update = true;
      asked = true;
    } else if (name !== 'CONTEXT') {
      throw new SearchError(`Unsupported SEARCH RETURN option: ${name.slice(0, 30) || '(non-atom)'}`);
    }
  }
  if (spec.partial && chosen.has('ALL')) throw new SearchError('PARTIAL conflicts with ALL');
  // RETURN () and RETURN (CONTEXT) mean ALL (RFC 4731 §3.1, RFC 5267 §4.2).
  spec.returnOptions = asked ? RETURN_OPTIONS.filter((option) => chosen.has(option)) : ['ALL'];
  return spec;
}

/**
 * Parses `[RETURN (…)] [CHARSET x] key…`. RETURN only when ESEARCH is advertised; options
 * other than those of parseReturnOptions are refused (BAD) rather than silently ignored.
 */
export function parseSearchProgram(args: Token[], options: { uid: boolean; esearchAllowed: boolean }): SearchProgram {
  let index = 0;
  let returnSpec: ReturnSpec = { returnOptions: null };
  if (isAtom(args[index], 'RETURN')) {
    if (!options.esearchAllowed) throw new SearchError('SEARCH RETURN is not supported here');
    returnSpec = parseReturnOptions(args[index + 1]);
    index += 2;
  }
  let charset: SearchProgram['charset'] = 'UTF-8';
  if (isAtom(args[index], 'CHARSET')) {
    const token = args[index + 1];
    if (!token || token.type === 'list') throw new SearchError('CHARSET needs a charset name');
    const name = (token.type === 'atom' ? token.value : token.value.toString('utf8')).toUpperCase();
    const supported = SUPPORTED_CHARSETS.find((candidate) => candidate === name);
    if (!supported) throw new SearchError(`Unsupported charset ${name}`, 'NO', BADCHARSET_CODE);
    charset = supported;
    index += 2;
  }
  const rest = args.slice(index);
  if (rest.length === 0) throw new SearchError('Missing search key');
  const key = parseKeyList(new Reader(rest, charset));
  return { key, charset, uid: options.uid, ...returnSpec };
}
