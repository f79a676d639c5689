// RFC 3501 §6.4.2 CLOSE and RFC 3691 UNSELECT: leave the mailbox; snapshots expunge nothing.
import { defineCommand, ok } from '../command.js';

export const close = defineCommand({
  name: 'CLOSE',
  states: ['selected'],
  args: [],
  async run(session) {
    session.deselect();
    return ok('CLOSE completed; snapshots are never expunged');
  },
});

export const unselect = defineCommand({
  name: 'UNSELECT',
  states: ['selected'],
  args: [],
  async run(session) {
    session.deselect();
    return ok('UNSELECT completed');
  },
});
