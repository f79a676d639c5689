// RFC 6851 MOVE / UID MOVE. A snapshot cannot lose messages, so a move is refused — except into
// `Restore`, where it is a restore request like COPY and the snapshot keeps its messages.
import { transferCommand } from './copy.js';

const REASON = 'Snapshots are read-only; messages cannot be moved out of a snapshot, copy them instead';

export const move = transferCommand('MOVE', false, REASON);
export const uidMove = transferCommand('UID MOVE', true, REASON);
