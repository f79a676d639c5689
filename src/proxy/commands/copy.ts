// RFC 3501 §6.4.7 COPY and UID COPY. Snapshots cannot receive messages;
// to get mail back, clients copy to the live account. (A later feature: COPY/MOVE into a virtual
// `Restore` mailbox files a restore request — that hook belongs here.)
import { arg, defineCommand } from '../command.js';
import { refuseWrite } from './read-only.js';

const COPY_REASON = 'Snapshots are read-only; copy the messages to a folder of your live mailbox instead';

function copyLike(name: string, reason: string) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.mailbox],
    async run() {
      return refuseWrite(reason);
    },
  });
}

export const copy = copyLike('COPY', COPY_REASON);
export const uidCopy = copyLike('UID COPY', COPY_REASON);
