// RFC 3501 §6.2.1 STARTTLS
import { defineCommand, no, ok, bad } from '../command.js';

export const starttls = defineCommand({
  name: 'STARTTLS',
  states: ['not-authenticated'],
  args: [],
  async run(session) {
    if (session.secure) return bad('The connection is already encrypted');
    if (!session.settings.tlsContext) return no(undefined, 'TLS is not configured on this server');
    return { ...ok('Begin TLS negotiation now'), after: () => session.startTls() };
  },
});
