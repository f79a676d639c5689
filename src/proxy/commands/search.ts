// RFC 3501 §6.4.4 SEARCH / UID SEARCH, with ESEARCH (RFC 4731) — evaluation lives in src/proxy/search.
import { arg, defineCommand, ok, type CommandResult } from '../command.js';
import { parseSearchProgram, renderSearchResponse, runSearch, SearchError } from '../search/index.js';

/** A SearchError becomes the BAD/NO it asks for; anything else is a server fault. */
export function searchFailure(error: unknown): CommandResult {
  if (error instanceof SearchError) return { status: error.status, code: error.code, text: error.message };
  throw error;
}

function searchLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.rest],
    async run(session, [tokens], command) {
      const mailbox = session.selected!;
      try {
        const program = parseSearchProgram(tokens, { uid, esearchAllowed: true });
        const matches = await runSearch(program, mailbox);
        session.untagged(renderSearchResponse(program, matches, mailbox, { uid, tag: command.tag }).replace(/^\* /, ''));
      } catch (error) {
        return searchFailure(error);
      }
      return ok(`${name} completed`);
    },
  });
}

export const search = searchLike('SEARCH', false);
export const uidSearch = searchLike('UID SEARCH', true);
