/**
 * The search engine's pipeline: reads what SEARCH, SORT and THREAD evaluate — and only that (see
 * SearchData) — in order, without one round trip per message: header blocks come in batches (one
 * catalog query each), whole messages a few at a time so that reading the next ones overlaps
 * evaluating this one. Other sessions get the event loop back every few milliseconds.
 */
import type { MessageRef, OpenMailbox } from '../ports.js';
import type { MessageStructure } from '../../mail/structure.js';
import { EventLoopTurns } from '../event-loop-turns.js';
import { MessageContent } from './message-content.js';

/**
 * What a program, a sort or a threading needs loaded of each message, as FETCH items declare theirs:
 *   index  — the catalog row (flags, size, dates, UID): nothing is read
 *   header — the header block (header keys, sent date, SORT and THREAD keys)
 *   whole  — structure and bytes of the whole message (BODY and TEXT keys)
 */
export type SearchData = 'index' | 'header' | 'whole';

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

const EMPTY = Buffer.alloc(0);

/**
 * Calls `visit` for each message with what `data` asks loaded, in order: all of the folder, or the
 * messages of `sequences` (1-based, in the order given).
 */
export async function visitMessages(
  mailbox: OpenMailbox,
  data: SearchData,
  visit: (message: MessageContent) => void,
  sequences?: readonly number[],
): Promise<void> {
  const refs = sequences ? sequences.map((sequence) => mailbox.messages[sequence - 1]) : mailbox.messages;
  const sequenceAt = sequences ? (index: number) => sequences[index] : (index: number) => index + 1;
  const turns = new EventLoopTurns();
  let index = 0;
  if (data === 'whole') {
    for await (const { structure, raw } of wholeMessages(mailbox, refs)) {
      visit(new MessageContent(refs[index], sequenceAt(index), raw, structure));
      index++;
      if (turns.due()) await turns.pause();
    }
  } else if (data === 'header') {
    for await (const headers of headerBatches(mailbox, refs)) {
      for (const header of headers) {
        visit(new MessageContent(refs[index], sequenceAt(index), header));
        index++;
        if (turns.due()) await turns.pause();
      }
    }
  } else {
    for (; index < refs.length; index++) {
      visit(new MessageContent(refs[index], sequenceAt(index), EMPTY));
      if (turns.due()) await turns.pause();
    }
  }
}
