// RFC 6851 MOVE / UID MOVE — refused like COPY (a snapshot cannot lose messages).
import { arg, defineCommand } from '../command.js';
import { refuseWrite } from './read-only.js';

const REASON = 'Snapshots are read-only; messages cannot be moved out of a snapshot, copy them instead';

function moveLike(name: string) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.mailbox],
    async run() {
      return refuseWrite(REASON);
    },
  });
}

export const move = moveLike('MOVE');
export const uidMove = moveLike('UID MOVE');
