/**
 * Reads the bytes SEARCH, SORT and THREAD evaluate, in the folder's order, without one round trip
 * per message: header blocks come in batches (one catalog query each), whole messages a few at a
 * time so that reading the next ones overlaps evaluating this one.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { MessageStructure } from '../../mail/structure.js';

/**
 * Header blocks per readHeaders call: few queries, yet a bounded batch at 55,000 messages. The query
 * runs in one go on the event loop, so a batch is kept small enough to take a few milliseconds.
 */
export const HEADER_BATCH = 128;
/** Whole messages being read ahead of the one being evaluated… */
const MESSAGES_AHEAD = 4;
/** …unless they add up to this many bytes (big messages are read one at a time). */
const BYTES_AHEAD = 4 * 1024 * 1024;

/** Header blocks of the messages, one batch (in order) per iteration. */
export async function* headerBatches(mailbox: OpenMailbox, messages: readonly MessageRef[]): AsyncGenerator<Buffer[]> {
  for (let start = 0; start < messages.length; start += HEADER_BATCH) {
    yield await mailbox.readHeaders(messages.slice(start, start + HEADER_BATCH));
  }
}

export interface WholeMessage {
  structure: MessageStructure;
  raw: Buffer;
}

/** Structure and bytes of each message, in order, with reads of the following ones under way. */
export async function* wholeMessages(mailbox: OpenMailbox, messages: readonly MessageRef[]): AsyncGenerator<WholeMessage> {
  const pending: Array<Promise<WholeMessage>> = [];
  let next = 0;
  let bytesPending = 0;
  const start = (ref: MessageRef) => {
    const read = Promise.all([mailbox.structure(ref), mailbox.readAll(ref)]).then(([structure, raw]) => ({ structure, raw }));
    // Handled here so a failure behind one that ends the search is no unhandled rejection.
    read.catch(() => undefined);
    pending.push(read);
    bytesPending += ref.size;
  };
  for (let index = 0; index < messages.length; index++) {
    while (next < messages.length && (next === index || (next - index < MESSAGES_AHEAD && bytesPending + messages[next].size <= BYTES_AHEAD))) {
      start(messages[next++]);
    }
    const message = await pending.shift()!;
    bytesPending -= messages[index].size;
    yield message;
  }
}
