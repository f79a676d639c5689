// RFC 3501 §6.1.3 LOGOUT
import { defineCommand, ok } from '../command.js';

export const logout = defineCommand({
  name: 'LOGOUT',
  states: ['not-authenticated', 'authenticated', 'selected'],
  args: [],
  async run(session) {
    session.untagged('BYE Mail Time Machine logging out');
    session.logout();
    return ok('LOGOUT completed');
  },
});
