// RFC 5267 §4.3 CANCELUPDATE: ends SEARCH/SORT RETURN (UPDATE) requests. A snapshot never changes,
// so an active update never sent anything; the tags are still checked as Dovecot checks them.
import { arg, defineCommand, no, ok, refuseArg } from '../command.js';

const quotedTags = arg.grammar('quoted tags', (tokens) =>
  tokens.length === 0 || tokens.some((token) => token.type !== 'string')
    ? refuseArg('CANCELUPDATE needs one or more quoted tags')
    : tokens.map((token) => (token.type === 'string' ? token.value.toString('utf8') : '')),
);

export const cancelupdate = defineCommand({
  name: 'CANCELUPDATE',
  states: ['selected'],
  args: [quotedTags],
  async run(session, [tags]) {
    if (tags.some((tag) => !session.searchUpdates.has(tag))) return no(undefined, 'Unknown tag: no active update has it');
    for (const tag of tags) session.searchUpdates.delete(tag);
    return ok('Updates cancelled');
  },
});
