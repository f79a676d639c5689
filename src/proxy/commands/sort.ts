// RFC 5256 SORT / UID SORT, with ESORT and CONTEXT=SORT (RFC 5267) — evaluation lives in src/proxy/search.
import { defineCommand, ok } from '../command.js';
import { parseSortArguments, renderSortResponse, runSort } from '../search/index.js';
import { noteExtensions, searchFailure, searchGrammar } from './search.js';

function sortLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [searchGrammar('sort criteria and search program', (tokens) => parseSortArguments(tokens, { uid }))],
    async run(session, [{ criteria, program }], command) {
      const mailbox = session.phase.mailbox;
      try {
        noteExtensions(session, program, command.tag);
        const sorted = await runSort(criteria, program.charset, program, mailbox);
        session.untagged(renderSortResponse(sorted, mailbox, { uid, program, tag: command.tag }).replace(/^\* /, ''));
      } catch (error) {
        return searchFailure(error);
      }
      return ok(`${name} completed`);
    },
  });
}

export const sort = sortLike('SORT', false);
export const uidSort = sortLike('UID SORT', true);
