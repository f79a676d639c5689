// RFC 5256 THREAD / UID THREAD (REFERENCES, ORDEREDSUBJECT) — evaluation lives in src/proxy/search.
import { arg, bad, defineCommand, ok } from '../command.js';
import type { Token } from '../protocol/tokens.js';
import { parseSearchProgram, runThread } from '../search/index.js';
import { searchFailure } from './search.js';

const ALGORITHMS = ['REFERENCES', 'ORDEREDSUBJECT'] as const;

function threadLike(name: string, uid: boolean) {
  return defineCommand({
    name,
    states: ['selected'],
    args: [arg.keyword, arg.rest],
    async run(session, [algorithm, tokens]) {
      const known = ALGORITHMS.find((candidate) => candidate === algorithm);
      if (!known) return bad(`Unknown thread algorithm; use ${ALGORITHMS.join(' or ')}`);
      if (tokens.length < 2) return bad('THREAD needs a charset and search keys');
      try {
        const charset: Token = { type: 'atom', value: 'CHARSET' };
        const program = parseSearchProgram([charset, ...tokens], { uid, esearchAllowed: false });
        session.untagged((await runThread(known, program, session.phase.mailbox)).replace(/^\* /, ''));
      } catch (error) {
        return searchFailure(error);
      }
      return ok(`${name} completed`);
    },
  });
}

export const thread = threadLike('THREAD', false);
export const uidThread = threadLike('UID THREAD', true);
