// RFC 3501 §6.4.4 SEARCH / UID SEARCH, with ESEARCH (RFC 4731), CONTEXT=SEARCH (RFC 5267) and MODSEQ (RFC 7162) — evaluation lives in src/proxy/search.
import { arg, ArgRefusal, defineCommand, ok, type ArgSpec, type CommandResult } from '../command.js';
import { parseSearchProgram, renderSearchResponse, runSearch, SearchError, usesModseq, type SearchProgram } from '../search/index.js';
import { quoteString } from '../protocol/format.js';
import type { Token } from '../protocol/tokens.js';
import type { Session } from '../session.js';

/** A SearchError becomes the BAD/NO it asks for; anything else is a server fault. */
export function searchFailure(error: unknown): CommandResult {
  if (error instanceof SearchError) return { status: error.status, code: error.code, text: error.message };
  throw error;
}

/**
 * An argument kind read by one of the search grammars (SEARCH program, SORT criteria + program,
 * THREAD program): its SearchError is the refusal the dispatcher answers (BAD, or NO [BADCHARSET]).
 */
export function searchGrammar<T>(label: string, parse: (tokens: Token[]) => T): ArgSpec<T> {
  return arg.grammar(label, (tokens) => {
    try {
      return parse(tokens);
    } catch (error) {
      if (error instanceof SearchError) return new ArgRefusal({ status: error.status, code: error.code, text: error.message });
      throw error;
    }
  });
}

/** Active RETURN (UPDATE) requests per session, Dovecot's limit. */
const MAX_SEARCH_UPDATES = 10;

/**
 * What a search program turns on for the session: a MODSEQ key enables CONDSTORE (RFC 7162 §3.1),
 * RETURN (UPDATE) registers the tag for CANCELUPDATE (RFC 5267 §4.2). Throws SearchError (BAD)
 * for an UPDATE whose tag is already active, as Dovecot does.
 */
export function noteExtensions(session: Session, program: SearchProgram, tag: string): void {
  if (usesModseq(program.key)) session.enabled.add('CONDSTORE');
  if (!program.update) return;
  if (session.searchUpdates.has(tag)) throw new SearchError('Duplicate search update tag');
  // Bounded like Dovecot's: past the limit the search is answered without registering an update.
  if (session.searchUpdates.size >= MAX_SEARCH_UPDATES) session.untagged(`NO [NOUPDATE ${quoteString(tag)}] Too many active updates`);
  else session.searchUpdates.add(tag);
}

function searchLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [searchGrammar('search program', (tokens) => parseSearchProgram(tokens, { uid, esearchAllowed: true }))],
    async run(session, [program], command) {
      const mailbox = session.phase.mailbox;
      try {
        noteExtensions(session, program, command.tag);
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
