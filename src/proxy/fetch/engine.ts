/**
 * The FETCH engine: answers one parsed request for a list of messages of an opened folder, loading
 * only what the requested items need (see the item table in render.ts) and streaming the answers.
 * Responses go out in batches of about BATCH_BYTES, each written (and drained) before the next;
 * rendering runs at most RENDER_AHEAD messages ahead and big bodies stay streams, so memory stays flat.
 */
import type { Logger } from 'pino';
import { BlobDamagedError, type OpenMailbox } from '../ports.js';
import type { ResponsePiece } from '../protocol/response-piece.js';
import { EventLoopTurns } from '../event-loop-turns.js';
import { FetchRefusal, type FetchRequest } from './request.js';
import { renderFetch, wantsHeaderBlock } from './render.js';

/** One socket write per this much of small responses (a header sync is thousands of ~1 KiB answers). */
const BATCH_BYTES = 64 * 1024;
/** Messages rendered ahead of the one being written. */
const RENDER_AHEAD = 16;
/** Header blocks read per catalog query when every message needs its header (a header sync). */
const HEADER_CHUNK = 256;

/** Where the answers go: the session (its untagged lines go out first) and its log. */
export interface FetchOutput {
  write(pieces: ResponsePiece[]): Promise<void>;
  readonly log: Logger;
}

/**
 * How a FETCH ended once its answers are out: every message sent; some skipped because their
 * stored copy is damaged (`* n FETCH` of the others were sent); or refused (`NO [code]`, like
 * Dovecot) at a message the request cannot be answered for, after the ones before it.
 */
export type FetchOutcome =
  | { kind: 'sent' }
  | { kind: 'damaged'; messages: string[] }
  | { kind: 'refused'; code: string; text: string };

/**
 * Sends `* n FETCH (...)` for every sequence number (ascending) of `sequences`. Header blocks are
 * read HEADER_CHUNK at a time when the items need them; structures come from the mailbox (cached
 * there); messages are rendered a few ahead, so their reads overlap.
 */
export async function streamFetch(output: FetchOutput, mailbox: OpenMailbox, sequences: number[], request: FetchRequest, options: { uid: boolean }): Promise<FetchOutcome> {
  const { uid } = options;
  // BINARY decodes whole parts in memory, so it renders one at a time.
  const ahead = request.items.some((item) => item.kind === 'section' && item.binary) ? 1 : RENDER_AHEAD;
  const headerChunks = new Map<number, Promise<Buffer[]>>();
  const headerOf = (index: number): Promise<Buffer> => {
    const chunk = Math.floor(index / HEADER_CHUNK);
    let headers = headerChunks.get(chunk);
    if (!headers) {
      const refs = sequences.slice(chunk * HEADER_CHUNK, (chunk + 1) * HEADER_CHUNK).map((sequence) => mailbox.messages[sequence - 1]);
      headers = mailbox.readHeaders(refs);
      headers.catch(() => undefined);
      headerChunks.set(chunk, headers);
      headerChunks.delete(chunk - 2);
    }
    return headers.then((list) => list[index % HEADER_CHUNK]);
  };
  const withHeaders = wantsHeaderBlock(request);
  const rendering: Promise<ResponsePiece[]>[] = [];
  const render = (index: number): void => {
    if (index >= sequences.length) return;
    const sequence = sequences[index];
    const message = mailbox.messages[sequence - 1];
    const pieces = withHeaders
      ? headerOf(index).then((header) => renderFetch(sequence, message, mailbox, request, { uid, header }))
      : renderFetch(sequence, message, mailbox, request, { uid });
    // Awaited in order below; a failure must not surface early as an unhandled rejection.
    pieces.catch(() => undefined);
    rendering[index] = pieces;
  };
  for (let index = 0; index < ahead; index++) render(index);
  let batch: ResponsePiece[] = [];
  let batchBytes = 0;
  // Messages whose stored copy is damaged: nothing of them is sent, the others still are.
  const damaged: string[] = [];
  // A client that reads fast never makes us wait for drain: take turns with other sessions.
  const turns = new EventLoopTurns();
  try {
    for (let index = 0; index < sequences.length; index++) {
      if (turns.due()) await turns.pause();
      let pieces: ResponsePiece[];
      try {
        pieces = await rendering[index];
      } catch (error) {
        if (!(error instanceof BlobDamagedError)) throw error;
        const message = mailbox.messages[sequences[index] - 1];
        damaged.push(`${sequences[index]} (UID ${message.uid})`);
        output.log.error({ account: error.account, blob: error.hash, uid: message.uid, mailbox: mailbox.name }, 'FETCH skipped a damaged message');
        pieces = [];
      }
      delete rendering[index];
      render(index + ahead);
      batch.push(...pieces);
      // A big streamed body fills a batch by itself: it must not wait in memory behind others.
      for (const piece of pieces) batchBytes += piece.length;
      if (batchBytes >= BATCH_BYTES) {
        await output.write(batch);
        batch = [];
        batchBytes = 0;
      }
    }
  } catch (error) {
    // The messages rendered before the failure still reach the client, as when written one by one.
    if (batch.length > 0) await output.write(batch).catch(() => undefined);
    if (error instanceof FetchRefusal) return { kind: 'refused', code: error.code, text: error.message };
    throw error;
  }
  if (batch.length > 0) await output.write(batch);
  return damaged.length > 0 ? { kind: 'damaged', messages: damaged } : { kind: 'sent' };
}
