// RFC 3501 §6.3.1 SELECT and §6.3.2 EXAMINE: identical here, both read-only (DESIGN §5), with the
// CONDSTORE and QRESYNC parameters of RFC 7162 §3.1.8 and §3.2.5.
import { arg, bad, defineCommand, no, ok, tokenText } from '../command.js';
import { renderFetch } from '../fetch/render.js';
import type { FetchRequest } from '../fetch/request.js';
import type { MessageRef } from '../ports.js';
import { changedSince, folderModseq, parseModseq } from '../protocol/modseq.js';
import type { ResponsePiece } from '../fetch/pieces.js';
import { parseSequenceSet, type SequenceSet } from '../protocol/sequence-set.js';
import type { Token } from '../protocol/tokens.js';
import type { Session } from '../session.js';
import { messageIndicesIn, vanishedUids, type SequenceMatch } from './vanished.js';

/**
 * First unseen sequence number (0: none) per message list. A snapshot folder never changes and
 * views hand out the same list on every SELECT, so a 100,000-message folder is scanned once.
 */
const firstUnseenOf = new WeakMap<MessageRef[], number>();

function firstUnseen(messages: MessageRef[]): number {
  let found = firstUnseenOf.get(messages);
  if (found === undefined) {
    found = messages.findIndex((message) => !message.flags.includes('\\Seen')) + 1;
    firstUnseenOf.set(messages, found);
  }
  return found;
}

/** `(QRESYNC (uidvalidity modseq [known-uids [(known-sequence-set known-uid-set)]]))`. */
interface QresyncParameters {
  uidValidity: number;
  modseq: bigint;
  /** null: the client named none, meaning every UID. */
  knownUids: SequenceSet | null;
  match?: SequenceMatch;
}

class SelectSyntaxError extends Error {}

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

/** SELECT parameters: CONDSTORE and QRESYNC (…); anything else is refused as Dovecot does. */
function parseOptions(session: Session, options: Token[] | undefined): { condstore: boolean; qresync: QresyncParameters | null } {
  const result = { condstore: false, qresync: null as QresyncParameters | null };
  const items = options ?? [];
  for (let i = 0; i < items.length; i++) {
    const name = items[i].type === 'atom' ? tokenText(items[i])?.toUpperCase() : undefined;
    if (name === 'CONDSTORE') result.condstore = true;
    else if (name === 'QRESYNC') {
      if (!session.enabled.has('QRESYNC')) throw new SelectSyntaxError('QRESYNC not enabled; send ENABLE QRESYNC first');
      if (result.qresync) throw new SelectSyntaxError('QRESYNC given twice');
      result.qresync = parseQresync(items[++i]);
    } else throw new SelectSyntaxError(`Unknown SELECT parameter ${name?.slice(0, 30) ?? '(not an atom)'}`);
  }
  return result;
}

/** What RFC 7162 §3.2.5 sends after a QRESYNC SELECT: VANISHED (EARLIER) known UIDs, then FETCH of the changed ones. */
const QRESYNC_FETCH: FetchRequest = {
  items: [{ kind: 'simple', name: 'UID' }, { kind: 'simple', name: 'FLAGS' }, { kind: 'simple', name: 'MODSEQ' }],
  wantsSeen: false,
};

async function open(session: Session, name: string, command: string, optionTokens: Token[] | undefined) {
  let options: ReturnType<typeof parseOptions> | null = null;
  let refusal: string | null = null;
  try {
    options = parseOptions(session, optionTokens);
  } catch (error) {
    if (!(error instanceof SelectSyntaxError)) throw error;
    refusal = error.message;
  }
  if (session.state === 'selected') {
    session.deselect();
    session.untagged('OK [CLOSED] Previous mailbox closed');
  }
  if (!options) return bad(refusal ?? 'Invalid SELECT parameters');
  if (options.condstore) session.enabled.add('CONDSTORE');
  const mailbox = await session.view!.openMailbox(name);
  if (!mailbox) return no('NONEXISTENT', 'No such snapshot folder');
  session.select(mailbox);
  const messages = mailbox.messages;
  session.untagged(`FLAGS (${mailbox.flags.join(' ')})`);
  session.untagged('OK [PERMANENTFLAGS ()] Snapshots are read-only');
  session.untagged(`${messages.length} EXISTS`);
  session.untagged('0 RECENT');
  const unseen = firstUnseen(messages);
  if (unseen > 0) session.untagged(`OK [UNSEEN ${unseen}] First unseen message`);
  session.untagged(`OK [UIDVALIDITY ${mailbox.uidValidity}] UIDs valid`);
  session.untagged(`OK [UIDNEXT ${mailbox.uidNext}] Predicted next UID`);
  session.untagged(`OK [HIGHESTMODSEQ ${folderModseq(mailbox)}] Highest`);
  const qresync = options.qresync;
  // A client whose cache is of another UIDVALIDITY must start over: it gets no resync data.
  if (qresync && qresync.uidValidity === mailbox.uidValidity && changedSince(mailbox, qresync.modseq)) {
    const known: SequenceSet = qresync.knownUids ?? [{ from: 1, to: 0xffffffff }];
    const vanished = vanishedUids(mailbox, known, qresync.match);
    if (vanished) session.untagged(`VANISHED (EARLIER) ${vanished}`);
    // Every message's MODSEQ is above the client's (see protocol/modseq.ts): all known ones changed.
    let batch: ResponsePiece[] = [];
    for (const index of messageIndicesIn(mailbox, known)) {
      batch.push(...(await renderFetch(index + 1, messages[index], mailbox, QRESYNC_FETCH, { uid: true })));
      if (batch.length >= 256) {
        await session.write(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await session.write(batch);
  }
  return ok(`${command} completed; snapshots are read-only`, 'READ-ONLY');
}

export const select = defineCommand({
  name: 'SELECT',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, arg.optional(arg.list)],
  run: (session, [name, options]) => open(session, name, 'SELECT', options),
});

export const examine = defineCommand({
  name: 'EXAMINE',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, arg.optional(arg.list)],
  run: (session, [name, options]) => open(session, name, 'EXAMINE', options),
});
