// Every write command (DESIGN §5): `NO [CANNOT]` with a reason a user can act on — never
// [READ-ONLY] or [TRYCREATE], which make clients retry or offer to create folders.
// The arguments are not checked (any shape is refused the same way); an APPEND literal was
// already consumed (or refused) by the framing, so the stream stays in sync.
import { arg, defineCommand, no, type Command, type CommandResult } from '../command.js';
import type { SessionState } from '../session.js';

export function refuseWrite(reason: string): CommandResult {
  return no('CANNOT', reason);
}

function readOnlyCommand(name: string, states: SessionState[], reason: string): Command<[unknown]> {
  return defineCommand({
    name,
    states,
    args: [arg.rest],
    async run() {
      return refuseWrite(reason);
    },
  });
}

const ANY: SessionState[] = ['authenticated', 'selected'];
const SELECTED: SessionState[] = ['selected'];
const FOLDERS = 'Snapshot folders cannot be created, deleted or renamed; make changes in your live mailbox';

export const readOnlyCommands: Command<[unknown]>[] = [
  readOnlyCommand('APPEND', ANY, 'Snapshots are read-only; add messages to your live mailbox instead'),
  readOnlyCommand('STORE', SELECTED, 'Snapshots are read-only; flags cannot be changed'),
  readOnlyCommand('UID STORE', SELECTED, 'Snapshots are read-only; flags cannot be changed'),
  readOnlyCommand('EXPUNGE', SELECTED, 'Snapshots are read-only; nothing can be deleted'),
  readOnlyCommand('UID EXPUNGE', SELECTED, 'Snapshots are read-only; nothing can be deleted'),
  readOnlyCommand('CREATE', ANY, FOLDERS),
  readOnlyCommand('DELETE', ANY, FOLDERS),
  readOnlyCommand('RENAME', ANY, FOLDERS),
  readOnlyCommand('SUBSCRIBE', ANY, 'Every snapshot folder is always subscribed'),
  readOnlyCommand('UNSUBSCRIBE', ANY, 'Every snapshot folder is always subscribed'),
  readOnlyCommand('SETACL', ANY, 'Access rights of snapshots cannot be changed'),
  readOnlyCommand('DELETEACL', ANY, 'Access rights of snapshots cannot be changed'),
  readOnlyCommand('SETQUOTA', ANY, 'Snapshots have no quota to change'),
  readOnlyCommand('SETMETADATA', ANY, 'Snapshots are read-only; metadata cannot be changed'),
];
