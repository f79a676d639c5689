// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH, with CHANGEDSINCE/VANISHED (RFC 7162) — attribute parsing and rendering live in src/proxy/fetch.
// Responses go out in batches of about BATCH_BYTES, each written (and drained) before the next;
// rendering runs at most RENDER_AHEAD messages ahead and big bodies stay streams, so memory stays flat.
import { arg, bad, defineCommand, no, ok } from '../command.js';
import { BlobDamagedError } from '../ports.js';
import { FetchRefusal, FetchSyntaxError, parseFetchItems, renderFetch, wantsHeaderBlock } from '../fetch/render.js';
import type { ResponsePiece } from '../protocol/response-piece.js';
import { changedSince } from '../protocol/modseq.js';
import { messagesInSet } from './message-set.js';
import { vanishedUids } from './vanished.js';
import { EventLoopTurns } from '../event-loop-turns.js';

/** One socket write per this much of small responses (a header sync is thousands of ~1 KiB answers). */
const BATCH_BYTES = 64 * 1024;
/** Messages rendered ahead of the one being written. */
const RENDER_AHEAD = 16;
/** Header blocks read per catalog query when every message needs its header (a header sync). */
const HEADER_CHUNK = 256;

function fetchLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.rest],
    async run(session, [set, attributes]) {
      const mailbox = session.phase.mailbox;
      let request;
      try {
        request = parseFetchItems(attributes, { uid, qresyncEnabled: session.enabled.has('QRESYNC') });
      } catch (error) {
        if (error instanceof FetchSyntaxError) return bad(error.message);
        throw error;
      }
      const named = messagesInSet(mailbox, set, uid);
      if (!named) return bad('Invalid message sequence number');
      // Every message has the folder's MODSEQ (protocol/modseq.ts), so either all of the set
      // changed since the client's CHANGEDSINCE value or none did.
      const changed = request.changedSince === undefined || changedSince(mailbox, request.changedSince);
      if (request.changedSince !== undefined) session.enabled.add('CONDSTORE'); // RFC 7162 §3.1
      if (request.vanished && changed) {
        const vanished = vanishedUids(mailbox, set);
        if (vanished) session.untagged(`VANISHED (EARLIER) ${vanished}`);
      }
      const selected = changed ? named : [];
      // Messages are rendered a few ahead, so their structure and header reads overlap; BINARY
      // decodes whole parts in memory, so it renders one at a time.
      const ahead = request.items.some((item) => item.kind === 'section' && item.binary) ? 1 : RENDER_AHEAD;
      const headerChunks = new Map<number, Promise<Buffer[]>>();
      const headerOf = (index: number): Promise<Buffer> => {
        const chunk = Math.floor(index / HEADER_CHUNK);
        let headers = headerChunks.get(chunk);
        if (!headers) {
          const refs = selected.slice(chunk * HEADER_CHUNK, (chunk + 1) * HEADER_CHUNK).map((sequence) => mailbox.messages[sequence - 1]);
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
        if (index >= selected.length) return;
        const sequence = selected[index];
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
        for (let index = 0; index < selected.length; index++) {
          await turns.pause();
          let pieces: ResponsePiece[];
          try {
            pieces = await rendering[index];
          } catch (error) {
            if (!(error instanceof BlobDamagedError)) throw error;
            const message = mailbox.messages[selected[index] - 1];
            damaged.push(`${selected[index]} (UID ${message.uid})`);
            session.log.error({ account: error.account, blob: error.hash, uid: message.uid, mailbox: mailbox.name }, 'FETCH skipped a damaged message');
            pieces = [];
          }
          delete rendering[index];
          render(index + ahead);
          batch.push(...pieces);
          // A big streamed body fills a batch by itself: it must not wait in memory behind others.
          for (const piece of pieces) batchBytes += piece.length;
          if (batchBytes >= BATCH_BYTES) {
            await session.write(batch);
            batch = [];
            batchBytes = 0;
          }
        }
      } catch (error) {
        // The messages rendered before the failure still reach the client, as when written one by one.
        if (batch.length > 0) await session.write(batch).catch(() => undefined);
        if (error instanceof FetchRefusal) return no(error.code, error.message);
        throw error;
      }
      if (batch.length > 0) await session.write(batch);
      if (damaged.length > 0) {
        const list = damaged.length > 5 ? `${damaged.slice(0, 5).join(', ')} and ${damaged.length - 5} more` : damaged.join(', ');
        return no('SERVERBUG', `The stored copy of message${damaged.length === 1 ? '' : 's'} ${list} is damaged and was not sent; the other messages were. The problem was logged for the administrator`);
      }
      return ok(`${name} completed`);
    },
  });
}

export const fetch = fetchLike('FETCH', false);
export const uidFetch = fetchLike('UID FETCH', true);
