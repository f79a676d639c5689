// RFC 5267 §4.3 CANCELUPDATE: ends SEARCH/SORT RETURN (UPDATE) requests. A snapshot never changes,
// so an active update never sent anything; the tags are still checked as Dovecot checks them.
import { arg, bad, defineCommand, no, ok } from '../command.js';

export const cancelupdate = defineCommand({
  name: 'CANCELUPDATE',
  states: ['selected'],
  args: [arg.rest],
  async run(session, [tokens]) {
    if (tokens.length === 0 || tokens.some((token) => token.type !== 'string')) return bad('CANCELUPDATE needs one or more quoted tags');
    const tags = tokens.map((token) => (token.type === 'string' ? token.value.toString('utf8') : ''));
    if (tags.some((tag) => !session.searchUpdates.has(tag))) return no(undefined, 'Unknown tag: no active update has it');
    for (const tag of tags) session.searchUpdates.delete(tag);
    return ok('Updates cancelled');
  },
});
