// RFC 5256 THREAD / UID THREAD (REFERENCES, ORDEREDSUBJECT) — evaluation lives in src/proxy/search.
import { arg, defineCommand, ok, refuseArg, type ArgSpec } from '../command.js';
import type { Token } from '../protocol/tokens.js';
import { parseSearchProgram, runThread, SearchError } from '../search/index.js';
import { searchFailure, searchGrammar } from './search.js';

const ALGORITHMS = ['REFERENCES', 'ORDEREDSUBJECT'] as const;
type ThreadAlgorithm = (typeof ALGORITHMS)[number];

/** A keyword naming a supported algorithm; any other keyword is refused with the list. */
const threadAlgorithm: ArgSpec<ThreadAlgorithm> = arg.refine(
  arg.keyword,
  (word) => ALGORITHMS.find((candidate) => candidate === word) ?? refuseArg(`Unknown thread algorithm; use ${ALGORITHMS.join(' or ')}`),
);

const CHARSET: Token = { type: 'atom', value: 'CHARSET' };

function threadLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [
      threadAlgorithm,
      searchGrammar('charset and search keys', (tokens) => {
        if (tokens.length < 2) throw new SearchError('THREAD needs a charset and search keys');
        return parseSearchProgram([CHARSET, ...tokens], { uid, esearchAllowed: false });
      }),
    ],
    async run(session, [algorithm, program]) {
      try {
        session.untagged((await runThread(algorithm, program, session.phase.mailbox)).replace(/^\* /, ''));
      } catch (error) {
        return searchFailure(error);
      }
      return ok(`${name} completed`);
    },
  });
}

export const thread = threadLike('THREAD', false);
export const uidThread = threadLike('UID THREAD', true);
