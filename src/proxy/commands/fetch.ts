// RFC 3501 §6.4.5 FETCH and §6.4.8 UID FETCH, with CHANGEDSINCE/VANISHED (RFC 7162) — the items'
// grammar, their rendering and the streaming pipeline are the fetch engine's (src/proxy/fetch).
import { arg, bad, defineCommand, no, ok, refuseArg } from '../command.js';
import { streamFetch } from '../fetch/engine.js';
import { FetchSyntaxError, parseFetchItems, type FetchRequest } from '../fetch/request.js';
import { changedSince } from '../protocol/modseq.js';
import { messagesInSet } from './message-set.js';
import { vanishedUids } from './vanished.js';

/** The attribute argument and its modifiers; VANISHED depends on the session having enabled QRESYNC. */
const fetchItems = (uid: boolean) =>
  arg.grammar<FetchRequest>('FETCH items', (tokens, session) => {
    try {
      return parseFetchItems(tokens, { uid, qresyncEnabled: session.enabled.has('QRESYNC') });
    } catch (error) {
      if (error instanceof FetchSyntaxError) return refuseArg(error.message);
      throw error;
    }
  });

function fetchLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.sequenceSet, fetchItems(uid)],
    async run(session, [set, request]) {
      const mailbox = session.phase.mailbox;
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
      const outcome = await streamFetch(session, mailbox, changed ? named : [], request, { uid });
      if (outcome.kind === 'refused') return no(outcome.code, outcome.text);
      if (outcome.kind === 'damaged') {
        const damaged = outcome.messages;
        const list = damaged.length > 5 ? `${damaged.slice(0, 5).join(', ')} and ${damaged.length - 5} more` : damaged.join(', ');
        return no('SERVERBUG', `The stored copy of message${damaged.length === 1 ? '' : 's'} ${list} is damaged and was not sent; the other messages were. The problem was logged for the administrator`);
      }
      return ok(`${name} completed`);
    },
  });
}

export const fetch = fetchLike('FETCH', false);
export const uidFetch = fetchLike('UID FETCH', true);
