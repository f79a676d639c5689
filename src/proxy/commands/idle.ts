// RFC 2177 IDLE — snapshots never change, so IDLE only keeps the connection alive until DONE.
import { bad, defineCommand, ok } from '../command.js';

export const idle = defineCommand({
  name: 'IDLE',
  states: ['authenticated', 'selected'],
  args: [],
  async run(session) {
    await session.continuation('idling');
    // NAT boxes drop silent connections; a line every ~2 minutes keeps them open.
    const keepAlive = setInterval(() => {
      session.untagged('OK Still here');
      session.write().catch(() => undefined);
    }, session.settings.idleKeepAliveSeconds * 1000);
    try {
      const reply = await session.readLine();
      if (reply === null) return bad('Connection closed during IDLE');
      if (reply.trim().toUpperCase() !== 'DONE') return bad('Expected DONE to end IDLE');
      return ok('IDLE terminated');
    } finally {
      clearInterval(keepAlive);
    }
  },
});
