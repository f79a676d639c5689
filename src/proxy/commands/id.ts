// RFC 2971 ID — the client's fields are only logged.
import { arg, bad, defineCommand, ok, tokenText } from '../command.js';

export const id = defineCommand({
  name: 'ID',
  states: ['not-authenticated', 'authenticated', 'selected'],
  args: [arg.rest],
  async run(session, [params]) {
    const [list] = params;
    const isNil = list?.type === 'atom' && list.value.toUpperCase() === 'NIL';
    if (params.length !== 1 || !(isNil || list.type === 'list')) return bad('ID expects NIL or a list of fields');
    if (list.type === 'list') {
      const fields: Record<string, string | null> = {};
      for (let i = 0; i + 1 < list.items.length && i < 60; i += 2) {
        const key = tokenText(list.items[i]);
        if (key !== null) fields[key.slice(0, 64)] = tokenText(list.items[i + 1])?.slice(0, 256) ?? null;
      }
      session.log.info({ clientId: fields }, 'client ID');
    }
    session.untagged('ID ("name" "Mail Time Machine" "vendor" "mtm")');
    return ok('ID completed');
  },
});
