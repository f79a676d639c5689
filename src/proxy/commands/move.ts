// RFC 6851 MOVE / UID MOVE. A snapshot cannot lose messages, so a move is refused — except into
// `Restore`, where it is a restore request like COPY and the snapshot keeps its messages.
import { arg, defineCommand } from '../command.js';
import { refuseWrite } from './read-only.js';
import { isRestoreTarget, requestRestore } from './restore-request.js';

const REASON = 'Snapshots are read-only; messages cannot be moved out of a snapshot, copy them instead';

function moveLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.mailbox],
    async run(session, [set, destination]) {
      if (isRestoreTarget(session, destination)) return requestRestore(session, set, uid, name);
      return refuseWrite(REASON);
    },
  });
}

export const move = moveLike('MOVE', false);
export const uidMove = moveLike('UID MOVE', true);
