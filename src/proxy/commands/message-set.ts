// Which messages of the selected mailbox a sequence set names: by sequence number or by UID.
import type { OpenMailbox } from '../ports.js';
import { mergedRanges, type SequenceSet } from '../../sequence-set.js';

/**
 * Ascending sequence numbers. UID sets simply skip UIDs that do not exist (RFC 3501 §6.4.8);
 * a message number beyond the mailbox is an error (null), as Dovecot answers it.
 */
export function messagesInSet(mailbox: OpenMailbox, set: SequenceSet, uid: boolean): number[] | null {
  const messages = mailbox.messages;
  const count = messages.length;
  if (!uid && set.some((range) => (range.from ?? 0) > count || (range.to ?? 0) > count)) return null;
  const largest = uid ? (messages.at(-1)?.uid ?? 0) : count;
  // Walked range by range (UIDs ascend with sequence numbers): an incremental sync's `UID FETCH
  // n:*` costs what it names, not a test of every message of the folder.
  const { lows, highs } = mergedRanges(set, largest);
  const result: number[] = [];
  for (let range = 0; range < lows.length; range++) {
    if (uid) {
      for (let index = firstUidAtOrAbove(messages, lows[range]); index < count && messages[index].uid <= highs[range]; index++) result.push(index + 1);
    } else {
      for (let sequence = Math.max(1, lows[range]); sequence <= Math.min(count, highs[range]); sequence++) result.push(sequence);
    }
  }
  return result;
}

/** Index of the first message whose UID is at least `uid` (messages.length when none is). */
function firstUidAtOrAbove(messages: OpenMailbox['messages'], uid: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (messages[mid].uid < uid) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
