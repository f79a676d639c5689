/**
 * A cheap test on raw header bytes that rules out messages before the exact matcher parses, decodes
 * and folds them (header keys; the part headers of TEXT). It never decides a match: "cannot match" is
 * only answered when the exact matcher would answer no as well; anything else goes on to it.
 *
 * Why that holds. When the header bytes are 7-bit and hold no RFC 2047 encoded word ("=?"), the exact
 * matcher compares those very bytes with ASCII letters upper-cased (what foldForSearch does to ASCII)
 * and only whitespace changed:
 *  - unfolding drops CR/LF but keeps the blank that starts a continuation line, so a run of non-blank
 *    characters never spans a fold;
 *  - blanks between a field name and its colon are dropped ("Subject  :" is compared as "SUBJECT:");
 *  - TEXT puts CRLF after each header line; SUBJECT compresses blanks.
 * So each blank-free piece of a folded ASCII needle occurs in the raw bytes ignoring case (blanks
 * allowed before a colon), in order, with only blanks between. A superset of the bytes read (the whole
 * header block, even the whole message) is searched: extra text can only let more messages through.
 *
 * Address keys (FROM, TO, CC, BCC) compare the address list re-written: names and addresses may swap
 * places ("a@b (Name)" → "Name <a@b>"), quotes, brackets and backslashes come and go, comments vanish
 * and missing parts become MISSING_MAILBOX and the like. None of that splits or joins a run of letters
 * and digits unless a backslash escape is removed, so for them each such run of the needle must occur
 * in the raw bytes (or in a filler word), in any order, and header blocks with a backslash are skipped.
 */
import { isAscii } from 'node:buffer';
import type { MessageContent } from './message-content.js';
import type { HeaderMatch } from './program.js';

/** The words the address parser writes into a list where the header lacks a part. */
const ADDRESS_FILLERS = 'MISSING_MAILBOX MISSING_DOMAIN SYNTAX_ERROR INVALID_ROUTE';
const BACKSLASH = 0x5c;

/** What a needle requires of the raw bytes: every pattern must occur. */
export class RawNeedle {
  private constructor(private readonly patterns: RegExp[]) {}

  /**
   * The requirement for a folded needle compared the way `match` says (`text` for TEXT's header
   * lines), or null when there is none worth testing: a non-ASCII needle (the argument above is
   * about ASCII) or one without anything to look for.
   */
  static compile(needle: string, match: HeaderMatch | 'text'): RawNeedle | null {
    // eslint-disable-next-line no-control-regex
    if (/[^\x00-\x7f]/.test(needle)) return null;
    const patterns = match === 'address' ? addressPatterns(needle) : literalPatterns(needle);
    return patterns.length > 0 ? new RawNeedle(patterns) : null;
  }

  /** False when the text (raw bytes as latin1) cannot hold a match. */
  mayOccurIn(rawText: string): boolean {
    return this.patterns.every((pattern) => pattern.test(rawText));
  }
}

const escapeRegExp = (text: string): string => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** One pattern: the needle's blank-free pieces in order, blanks (or nothing) between them. */
function literalPatterns(needle: string): RegExp[] {
  const pieces = needle.split(/[ \t\r\n]+/).filter((piece) => piece !== '');
  if (pieces.length === 0) return [];
  const source = pieces.map((piece) => escapeRegExp(piece).replace(/:/g, '[ \\t]*:')).join('[ \\t\\r\\n]*');
  return [new RegExp(source, 'i')];
}

/** One pattern per run of letters and digits, except runs any filler word already holds. */
function addressPatterns(needle: string): RegExp[] {
  const runs = needle.toUpperCase().match(/[A-Z0-9]+/g) ?? [];
  return [...new Set(runs)].filter((run) => !ADDRESS_FILLERS.includes(run)).map((run) => new RegExp(run, 'i'));
}

/** 7-bit and without encoded words: header bytes decoding leaves as they are. */
export function isLiteralHeader(bytes: Buffer): boolean {
  return isAscii(bytes) && bytes.indexOf('=?') < 0;
}

/** Whether the bytes a header key reads are plain enough for the prefilter's answer to count. */
function headerIsLiteral(message: MessageContent, match: HeaderMatch): boolean {
  const check = match === 'address' ? 'address' : 'header';
  let literal = message.rawChecks.get(check);
  if (literal === undefined) {
    // The whole raw buffer: the header block, or the whole message when bodies are searched too.
    literal = isLiteralHeader(message.raw) && (match !== 'address' || message.raw.indexOf(BACKSLASH) < 0);
    message.rawChecks.set(check, literal);
  }
  return literal;
}

/** False only when a header key with this needle cannot match the message. */
export function headerMayMatch(message: MessageContent, needle: RawNeedle, match: HeaderMatch): boolean {
  return needle.mayOccurIn(message.rawText()) || !headerIsLiteral(message, match);
}
