// RFC 3501 §6.3.1 SELECT and §6.3.2 EXAMINE: identical here, both read-only (DESIGN §5).
import { arg, defineCommand, no, ok } from '../command.js';
import type { MessageRef } from '../ports.js';
import type { Session } from '../session.js';

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

async function open(session: Session, name: string, command: string) {
  if (session.state === 'selected') {
    session.deselect();
    session.untagged('OK [CLOSED] Previous mailbox closed');
  }
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
  session.untagged(`OK [HIGHESTMODSEQ ${mailbox.highestModseq}] Highest`);
  return ok(`${command} completed; snapshots are read-only`, 'READ-ONLY');
}

export const select = defineCommand({
  name: 'SELECT',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, arg.rest],
  run: (session, [name]) => open(session, name, 'SELECT'),
});

export const examine = defineCommand({
  name: 'EXAMINE',
  states: ['authenticated', 'selected'],
  args: [arg.mailbox, arg.rest],
  run: (session, [name]) => open(session, name, 'EXAMINE'),
});
