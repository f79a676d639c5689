// RFC 3501 §6.4.7 COPY and UID COPY. Snapshots cannot receive messages; copying into the virtual
// `Restore` mailbox files a restore of the copied messages instead (see restore-request.ts).
import { arg, defineCommand } from '../command.js';
import { refuseWrite } from './read-only.js';
import { isRestoreTarget, requestRestore } from './restore-request.js';

const COPY_REASON = 'Snapshots are read-only; copy the messages to a folder of your live mailbox, or to "Restore" to restore them';

/** COPY and MOVE share their shape: into `Restore` a restore request, anywhere else refused. */
export function transferCommand(name: string, uid: boolean, refusal: string) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.mailbox],
    async run(session, [set, destination]) {
      if (isRestoreTarget(session, destination)) return requestRestore(session, set, uid, name);
      return refuseWrite(refusal);
    },
  });
}

export const copy = transferCommand('COPY', false, COPY_REASON);
export const uidCopy = transferCommand('UID COPY', true, COPY_REASON);
