// RFC 3501 §6.1.1 CAPABILITY
import { defineCommand, ok } from '../command.js';

export const capability = defineCommand({
  name: 'CAPABILITY',
  states: ['not-authenticated', 'authenticated', 'selected'],
  args: [],
  async run(session) {
    session.untagged(`CAPABILITY ${session.capabilities().join(' ')}`);
    return ok('CAPABILITY completed');
  },
});
