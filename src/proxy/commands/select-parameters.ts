/**
 * The parameter grammar of SELECT/EXAMINE (RFC 7162 §3.1.8 CONDSTORE, §3.2.5 QRESYNC):
 * `(CONDSTORE QRESYNC (uidvalidity modseq [known-uids [(known-sequence-set known-uid-set)]]))`.
 */
import { tokenText } from '../command.js';
import { parseModseq } from '../protocol/modseq.js';
import { parseSequenceSet, type SequenceSet } from '../../sequence-set.js';
import type { Token } from '../protocol/tokens.js';
import type { SequenceMatch } from './vanished.js';

/** `(QRESYNC (uidvalidity modseq [known-uids [(known-sequence-set known-uid-set)]]))`. */
export interface QresyncParameters {
  uidValidity: number;
  modseq: bigint;
  /** null: the client named none, meaning every UID. */
  knownUids: SequenceSet | null;
  match?: SequenceMatch;
}

/** A malformed parameter: the command answers BAD with this message. */
export class SelectSyntaxError extends Error {}

/** A sequence set without `*`, its ranges ascending and merged (how RFC 7162 pairs seq-match data). */
function starlessSet(token: Token | undefined, what: string): SequenceSet {
  const text = token?.type === 'atom' ? tokenText(token) : null;
  const set = text ? parseSequenceSet(text) : null;
  if (!set || set.some((range) => range.from === null || range.to === null)) throw new SelectSyntaxError(`Invalid QRESYNC ${what}`);
  const ranges = set.map((range) => ({ from: Math.min(range.from!, range.to!), to: Math.max(range.from!, range.to!) })).sort((a, b) => a.from - b.from);
  const merged: { from: number; to: number }[] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range.from <= last.to + 1) last.to = Math.max(last.to, range.to);
    else merged.push(range);
  }
  return merged;
}

const setSize = (set: SequenceSet) => set.reduce((sum, range) => sum + (range.to! - range.from! + 1), 0);

/**
 * Members of an ascending starless set by increasing position, in one pass over its ranges (a
 * client may send thousands of ranges; looking each position up from the start would be quadratic).
 */
function memberCursor(set: SequenceSet): (n: number) => number {
  let range = 0;
  let before = 0; // members in the ranges before `range`
  return (n) => {
    while (range < set.length && n >= before + (set[range].to! - set[range].from! + 1)) {
      before += set[range].to! - set[range].from! + 1;
      range++;
    }
    if (range >= set.length) throw new SelectSyntaxError('Invalid QRESYNC sets');
    return set[range].from! + (n - before);
  };
}

/** Pairs the two sets of seq-match data at each end of every UID range (they must be as long). */
function sequenceMatch(list: Token[]): SequenceMatch {
  if (list.length !== 2) throw new SelectSyntaxError('QRESYNC sequence match data needs a sequence set and a UID set');
  const sequences = starlessSet(list[0], 'known-sequence-set');
  const uids = starlessSet(list[1], 'known-uid-set');
  if (setSize(sequences) !== setSize(uids)) throw new SelectSyntaxError('Invalid QRESYNC sets: they differ in length');
  const sequenceAt = memberCursor(sequences);
  const match: SequenceMatch = { sequences: [], uids: [] };
  let n = 0;
  for (const range of uids) {
    match.sequences.push(sequenceAt(n));
    match.uids.push(range.from!);
    if (range.to! > range.from!) {
      n += range.to! - range.from!;
      match.sequences.push(sequenceAt(n));
      match.uids.push(range.to!);
    }
    n++;
  }
  return match;
}

function parseQresync(list: Token | undefined): QresyncParameters {
  if (!list || list.type !== 'list') throw new SelectSyntaxError('QRESYNC parameters missing');
  const [validity, modseqToken, ...rest] = list.items;
  const validityText = validity?.type === 'atom' ? tokenText(validity) : null;
  const modseq = modseqToken?.type === 'atom' ? parseModseq(tokenText(modseqToken) ?? '') : null;
  if (!validityText || !/^\d{1,10}$/.test(validityText) || Number(validityText) > 0xffffffff || modseq === null) {
    throw new SelectSyntaxError('Invalid QRESYNC parameters');
  }
  const parameters: QresyncParameters = { uidValidity: Number(validityText), modseq, knownUids: null };
  let at = 0;
  if (rest[at]?.type === 'atom') parameters.knownUids = starlessSet(rest[at++], 'known-uids');
  const matchList = rest[at];
  if (matchList?.type === 'list') {
    parameters.match = sequenceMatch(matchList.items);
    at++;
  }
  if (at < rest.length) throw new SelectSyntaxError('Invalid QRESYNC parameters');
  return parameters;
}

/**
 * SELECT/EXAMINE parameters: CONDSTORE and QRESYNC (…); anything else is refused as Dovecot does.
 * QRESYNC needs ENABLE QRESYNC first (RFC 7162 §3.2.5).
 */
export function parseSelectParameters(options: Token[] | undefined, qresyncEnabled: boolean): { condstore: boolean; qresync: QresyncParameters | null } {
  const result = { condstore: false, qresync: null as QresyncParameters | null };
  const items = options ?? [];
  for (let i = 0; i < items.length; i++) {
    const name = items[i].type === 'atom' ? tokenText(items[i])?.toUpperCase() : undefined;
    if (name === 'CONDSTORE') result.condstore = true;
    else if (name === 'QRESYNC') {
      if (!qresyncEnabled) throw new SelectSyntaxError('QRESYNC not enabled; send ENABLE QRESYNC first');
      if (result.qresync) throw new SelectSyntaxError('QRESYNC given twice');
      result.qresync = parseQresync(items[++i]);
    } else throw new SelectSyntaxError(`Unknown SELECT parameter ${name?.slice(0, 30) ?? '(not an atom)'}`);
  }
  return result;
}

