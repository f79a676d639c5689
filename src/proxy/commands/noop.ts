// RFC 3501 §6.1.2 NOOP, §6.4.1 CHECK — snapshots never change, so there is nothing to report.
import { defineCommand, ok } from '../command.js';

export const noop = defineCommand({
  name: 'NOOP',
  states: ['not-authenticated', 'authenticated', 'selected'],
  args: [],
  async run() {
    return ok('NOOP completed');
  },
});

export const check = defineCommand({
  name: 'CHECK',
  states: ['selected'],
  args: [],
  async run() {
    return ok('CHECK completed');
  },
});
