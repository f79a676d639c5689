/**
 * Session state is a type per state (session.ts SessionPhase): a command sees the session narrowed
 * to the states it declares. The checks here are compile-time (`npm run typecheck` covers test/):
 * an unused @ts-expect-error fails the build if "no mailbox outside `selected`" ever stops holding.
 */
import { defineCommand, ok } from '../../src/proxy/command.js';

describe('session state types', () => {
  it('gives the mailbox only to commands valid with a mailbox selected', () => {
    const afterLogin = defineCommand({
      name: 'AFTER-LOGIN',
      states: ['authenticated', 'selected'],
      args: [],
      async run(session) {
        // @ts-expect-error: authenticated has no mailbox
        void session.phase.mailbox;
        return ok(session.phase.account);
      },
    });
    const beforeLogin = defineCommand({
      name: 'BEFORE-LOGIN',
      states: ['not-authenticated'],
      args: [],
      async run(session) {
        // @ts-expect-error: no account before login
        void session.phase.account;
        return ok('done');
      },
    });
    const selected = defineCommand({
      name: 'SELECTED',
      states: ['selected'],
      args: [],
      run: async (session) => ok(`${session.phase.mailbox.name} of ${session.phase.view.account}`),
    });
    expect([afterLogin, beforeLogin, selected].map((command) => command.states)).toEqual([['authenticated', 'selected'], ['not-authenticated'], ['selected']]);
  });
});
