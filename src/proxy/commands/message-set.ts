// Which messages of the selected mailbox a sequence set names: by sequence number or by UID.
import type { OpenMailbox } from '../ports.js';
import { sequenceSetMatcher, type SequenceSet } from '../../sequence-set.js';

/**
 * Ascending sequence numbers. UID sets simply skip UIDs that do not exist (RFC 3501 §6.4.8);
 * a message number beyond the mailbox is an error (null), as Dovecot answers it.
 */
export function messagesInSet(mailbox: OpenMailbox, set: SequenceSet, uid: boolean): number[] | null {
  const messages = mailbox.messages;
  const count = messages.length;
  if (!uid && set.some((range) => (range.from ?? 0) > count || (range.to ?? 0) > count)) return null;
  const largest = uid ? (messages.at(-1)?.uid ?? 0) : count;
  const contains = sequenceSetMatcher(set, largest);
  const result: number[] = [];
  for (let i = 0; i < count; i++) {
    if (contains(uid ? messages[i].uid : i + 1)) result.push(i + 1);
  }
  return result;
}
