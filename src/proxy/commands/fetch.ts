// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH — attribute parsing and rendering live in src/proxy/fetch.
// Each message is written (and drained) before the next is rendered, so memory stays flat.
import { arg, bad, defineCommand, ok } from '../command.js';
import { FetchSyntaxError, parseFetchItems, renderFetch } from '../fetch/render.js';
import { messagesInSet } from './message-set.js';

function fetchLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, arg.rest],
    async run(session, [set, attributes]) {
      const mailbox = session.selected!;
      let request;
      try {
        request = parseFetchItems(attributes);
      } catch (error) {
        if (error instanceof FetchSyntaxError) return bad(error.message);
        throw error;
      }
      const selected = messagesInSet(mailbox, set, uid);
      if (!selected) return bad('Invalid message sequence number');
      for (const sequence of selected) {
        const pieces = await renderFetch(sequence, mailbox.messages[sequence - 1], mailbox, request, { uid });
        await session.write(pieces);
      }
      return ok(`${name} completed`);
    },
  });
}

export const fetch = fetchLike('FETCH', false);
export const uidFetch = fetchLike('UID FETCH', true);
