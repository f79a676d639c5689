// RFC 2971 ID — the client's fields are only logged.
import { arg, defineCommand, ok, refuseArg, tokenText } from '../command.js';
import type { ListToken } from '../protocol/tokens.js';

/** `NIL` (null) or the client's list of fields. */
const idParameters = arg.grammar<ListToken | null>('ID parameters', ([list, ...more]) => {
  const isNil = list?.type === 'atom' && list.value.toUpperCase() === 'NIL';
  if (more.length > 0 || !(isNil || list?.type === 'list')) return refuseArg('ID expects NIL or a list of fields');
  return list.type === 'list' ? list : null;
});

export const id = defineCommand({
  name: 'ID',
  states: ['not-authenticated', 'authenticated', 'selected'],
  args: [idParameters],
  async run(session, [list]) {
    if (list) {
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
