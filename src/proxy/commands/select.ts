// RFC 3501 §6.3.1 SELECT and §6.3.2 EXAMINE: identical here, both read-only (DESIGN §5), with the
// CONDSTORE and QRESYNC parameters of RFC 7162 §3.1.8 and §3.2.5.
import { arg, bad, defineCommand, no, ok } from '../command.js';
import { renderFetch } from '../fetch/render.js';
import type { FetchRequest } from '../fetch/request.js';
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { ResponsePiece } from '../protocol/response-piece.js';
import { changedSince, folderModseq } from '../protocol/modseq.js';
import type { SequenceSet } from '../../sequence-set.js';
import type { Token } from '../protocol/tokens.js';
import type { LoggedInSession, Session } from '../session.js';
import { parseSelectParameters, SelectSyntaxError, type QresyncParameters } from './select-parameters.js';
import { messageIndicesIn, vanishedUids } from './vanished.js';

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

/** What RFC 7162 §3.2.5 sends after a QRESYNC SELECT: VANISHED (EARLIER) known UIDs, then FETCH of the changed ones. */
const QRESYNC_FETCH: FetchRequest = {
  items: [{ kind: 'simple', name: 'UID' }, { kind: 'simple', name: 'FLAGS' }, { kind: 'simple', name: 'MODSEQ' }],
  wantsSeen: false,
};

/**
 * RFC 7162 §3.2.5: for a client that cached this folder (same UIDVALIDITY) at an older mod-sequence,
 * the known UIDs that are gone, then UID FLAGS MODSEQ of the known messages. Every message's MODSEQ
 * is the folder's (protocol/modseq.ts), so either all of them changed since the client's value or none.
 */
async function resync(session: Session, mailbox: OpenMailbox, qresync: QresyncParameters): Promise<void> {
  if (qresync.uidValidity !== mailbox.uidValidity || !changedSince(mailbox, qresync.modseq)) return;
  const known: SequenceSet = qresync.knownUids ?? [{ from: 1, to: 0xffffffff }];
  const vanished = vanishedUids(mailbox, known, qresync.match);
  if (vanished) session.untagged(`VANISHED (EARLIER) ${vanished}`);
  let batch: ResponsePiece[] = [];
  for (const index of messageIndicesIn(mailbox, known)) {
    batch.push(...(await renderFetch(index + 1, mailbox.messages[index], mailbox, QRESYNC_FETCH, { uid: true })));
    if (batch.length >= 256) {
      await session.write(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await session.write(batch);
}

async function open(session: LoggedInSession, name: string, command: string, optionTokens: Token[] | undefined) {
  let options: ReturnType<typeof parseSelectParameters> | null = null;
  let refusal: string | null = null;
  try {
    options = parseSelectParameters(optionTokens, session.enabled.has('QRESYNC'));
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
  const mailbox = await session.phase.view.openMailbox(name);
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
  if (options.qresync) await resync(session, mailbox, options.qresync);
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
