// RFC 5161 ENABLE: UTF8=ACCEPT (RFC 6855), CONDSTORE and QRESYNC (RFC 7162 §3.1, §3.2.3).
import { arg, defineCommand, ok, tokenText } from '../command.js';
import type { EnabledExtension } from '../session.js';

const SYNC_EXTENSIONS: EnabledExtension[] = ['CONDSTORE', 'QRESYNC'];

export const enable = defineCommand({
  name: 'ENABLE',
  states: ['authenticated'],
  args: [arg.astring, arg.rest],
  async run(session, [first, more]) {
    const requested = [first, ...more.map((token) => tokenText(token) ?? '')].map((name) => name.toUpperCase());
    const enabled: string[] = [];
    // Each extension is answered once, in the order asked, and only when this command turned it on.
    for (const name of requested) {
      if (name === 'UTF8=ACCEPT' && !session.utf8Enabled) {
        session.utf8Enabled = true;
        enabled.push(name);
      }
      const extension = SYNC_EXTENSIONS.find((candidate) => candidate === name);
      if (extension && !session.enabled.has(extension)) {
        session.enabled.add(extension);
        enabled.push(extension);
        // QRESYNC implies CONDSTORE (RFC 7162 §3.2.3), without listing it.
        if (extension === 'QRESYNC') session.enabled.add('CONDSTORE');
      }
    }
    session.untagged(['ENABLED', ...enabled].join(' '));
    return ok('ENABLE completed');
  },
});
