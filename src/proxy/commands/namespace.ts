// RFC 2342 NAMESPACE — one personal namespace with "/" (DESIGN §5).
import { defineCommand, ok } from '../command.js';

export const namespace = defineCommand({
  name: 'NAMESPACE',
  states: ['authenticated', 'selected'],
  args: [],
  async run(session) {
    session.untagged('NAMESPACE (("" "/")) NIL NIL');
    return ok('NAMESPACE completed');
  },
});
