// RFC 5161 ENABLE; UTF8=ACCEPT (RFC 6855) is the one extension that needs it here.
import { arg, defineCommand, ok, tokenText } from '../command.js';

export const enable = defineCommand({
  name: 'ENABLE',
  states: ['authenticated'],
  args: [arg.astring, arg.rest],
  async run(session, [first, more]) {
    const requested = [first, ...more.map((token) => tokenText(token) ?? '')].map((name) => name.toUpperCase());
    const enabled: string[] = [];
    if (requested.includes('UTF8=ACCEPT') && !session.utf8Enabled) {
      session.utf8Enabled = true;
      enabled.push('UTF8=ACCEPT');
    }
    session.untagged(['ENABLED', ...enabled].join(' '));
    return ok('ENABLE completed');
  },
});
