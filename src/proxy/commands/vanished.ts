/**
 * `* VANISHED (EARLIER) …` (RFC 7162 §3.2.10) for SELECT/EXAMINE (QRESYNC …) and
 * UID FETCH … (CHANGEDSINCE n VANISHED). A snapshot keeps no history of expunges, so — like Dovecot
 * when its expunge log is gone — it answers with every UID the client named that is below UIDNEXT
 * and not in the folder, less what the client's sequence-match data proves it already knows.
 * Works on ranges: a client may name 1:4294967295 and the folder may hold 100,000 messages.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { SequenceSet } from '../../sequence-set.js';

interface Span {
  low: number;
  high: number;
}

/** QRESYNC seq-match-data (RFC 7162 §3.2.5.2) as (sequence number, UID) pairs, in the client's order. */
export interface SequenceMatch {
  sequences: number[];
  uids: number[];
}

/** The set's ranges, `*` as the largest UID in use, clipped to [1, UIDNEXT-1], sorted and merged. */
function spansOf(set: SequenceSet, largest: number, uidNext: number): Span[] {
  const spans: Span[] = [];
  for (const range of set) {
    const from = range.from ?? largest;
    const to = range.to ?? largest;
    const low = Math.max(1, Math.min(from, to));
    const high = Math.min(uidNext - 1, Math.max(from, to));
    if (low <= high) spans.push({ low, high });
  }
  spans.sort((a, b) => a.low - b.low);
  const merged: Span[] = [];
  for (const span of spans) {
    const last = merged[merged.length - 1];
    if (last && span.low <= last.high + 1) last.high = Math.max(last.high, span.high);
    else merged.push({ ...span });
  }
  return merged;
}

/** Index of the first message whose UID is ≥ uid (messages are in UID order). */
function firstAtOrAbove(messages: MessageRef[], uid: number): number {
  let low = 0;
  let high = messages.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (messages[middle].uid < uid) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Indices (0-based, ascending) of the messages whose UIDs the set names; no per-message scan of the ranges. */
export function messageIndicesIn(mailbox: OpenMailbox, set: SequenceSet): number[] {
  const messages = mailbox.messages;
  const largest = messages.length ? messages[messages.length - 1].uid : 0;
  const indices: number[] = [];
  for (const span of spansOf(set, largest, Number.MAX_SAFE_INTEGER)) {
    for (let index = firstAtOrAbove(messages, span.low); index < messages.length && messages[index].uid <= span.high; index++) indices.push(index);
  }
  return indices;
}

/** Highest UID up to which the client's sequence-match pairs agree with the folder (0: none). */
function knownUpTo(mailbox: OpenMailbox, match: SequenceMatch): number {
  let agreed = 0;
  for (let i = 0; i < match.sequences.length && match.sequences[i] <= mailbox.messages.length; i++) {
    if (mailbox.messages[match.sequences[i] - 1].uid !== match.uids[i]) break;
    agreed = match.uids[i];
  }
  return agreed;
}

/** The UIDs of `set` that are not in the folder, as a sequence-set text; '' when there are none. */
export function vanishedUids(mailbox: OpenMailbox, set: SequenceSet, match?: SequenceMatch): string {
  const messages = mailbox.messages;
  const largest = messages.length ? messages[messages.length - 1].uid : 0;
  const floor = match ? knownUpTo(mailbox, match) : 0;
  const parts: string[] = [];
  const emit = (low: number, high: number) => {
    const from = Math.max(low, floor + 1);
    if (from <= high) parts.push(from === high ? `${from}` : `${from}:${high}`);
  };
  for (const span of spansOf(set, largest, mailbox.uidNext)) {
    let next = span.low;
    for (let index = firstAtOrAbove(messages, span.low); index < messages.length && messages[index].uid <= span.high; index++) {
      const uid = messages[index].uid;
      if (uid > next) emit(next, uid - 1);
      next = uid + 1;
    }
    if (next <= span.high) emit(next, span.high);
  }
  return parts.join(',');
}
