// COPY/MOVE into the virtual `Restore` mailbox: the messages are restored to the live mailbox
// (a merge restore, confirmed by email). Any client can do it, phones included.
import { no, ok, type CommandResult } from '../command.js';
import { RESTORE_MAILBOX } from '../ports.js';
import type { SequenceSet } from '../../sequence-set.js';
import type { SessionIn } from '../session.js';
import { messagesInSet } from './message-set.js';

export function isRestoreTarget(session: SessionIn<'selected'>, destination: string): boolean {
  return Boolean(session.phase.view.requestRestore) && destination.toLowerCase() === RESTORE_MAILBOX.toLowerCase();
}

export async function requestRestore(session: SessionIn<'selected'>, set: SequenceSet, uid: boolean, command: string): Promise<CommandResult> {
  const { mailbox, view } = session.phase;
  if (!view.requestRestore) return no('CANNOT', 'Only messages of a snapshot folder can be restored');
  const numbers = messagesInSet(mailbox, set, uid);
  if (numbers === null) return { status: 'BAD', text: 'Invalid message sequence number' };
  if (numbers.length === 0) return ok(`${command} completed; no messages to restore`);
  const uids = numbers.map((number) => mailbox.messages[number - 1].uid);
  const answer = await view.requestRestore(mailbox.name, uids);
  if (!answer) return no('CANNOT', 'Only messages of a snapshot folder can be restored');
  return answer.accepted ? ok(answer.text) : no(answer.code ?? 'CANNOT', answer.text);
}
