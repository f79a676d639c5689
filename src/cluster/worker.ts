/**
 * An IMAP worker process of `mtm serve` (server.workers > 1): serves IMAP on the listening sockets
 * it shares with the other workers, from its own read-only handle on the store and its own caches
 * (a new snapshot is seen at once: days are read from the catalog, never cached). What must hold
 * for the whole server — connection limits, failed-login limits — and restore requests are the
 * primary's, asked over IPC. Stops when the primary says so, on SIGTERM, or when the primary is gone.
 */
import type { Logger } from 'pino';
import type { LoginLimits } from '../auth/index.js';
import type { Config } from '../config/schema.js';
import { metricsSnapshot } from '../metrics.js';
import type { Admission } from '../proxy/connection-limits.js';
import type { RestoreAnswer } from '../proxy/ports.js';
import { startImapServer } from '../proxy/server.js';
import { countedLogins, imapServerOptions, liveLoginService } from '../service.js';
import type { Store } from '../snapshots/store/store.js';
import { IpcPeer } from './ipc.js';

/** The primary's failure limits, asked over IPC; like FailureLimits, trouble allows the attempt and warns. */
function limitsOfPrimary(peer: IpcPeer, logger: Logger): LoginLimits {
  const warn = (what: string, error: unknown): void => logger.warn({ err: error }, `Could not ${what} the login limits of the primary process`);
  return {
    async begin(account, ip) {
      try {
        return await peer.request('limits.begin', { account, ip });
      } catch (error) {
        warn('count an attempt against', error);
        return { allowed: true, reservation: { account, ip, held: [] } };
      }
    },
    async peek(account, ip) {
      try {
        return await peer.request('limits.peek', { account, ip });
      } catch (error) {
        warn('read', error);
        return { allowed: true, failuresCounted: false };
      }
    },
    async forgive(account, ip) {
      await peer.request('limits.forgive', { account, ip }).catch((error: unknown) => warn('reset', error));
    },
    async settle(reservation, outcome) {
      await peer.request('limits.settle', { reservation, outcome }).catch((error: unknown) => warn('settle an attempt with', error));
    },
    async close() {},
  };
}

/** Serves until told to stop; resolves once every session has been closed. */
export async function serveAsWorker(config: Config, store: Store, logger: Logger): Promise<void> {
  let stopRequested: () => void = () => undefined;
  const stop = new Promise<void>((resolve) => (stopRequested = resolve));
  const peer = new IpcPeer(process as unknown as ConstructorParameters<typeof IpcPeer>[0], {
    metrics: () => metricsSnapshot(),
    shutdown: () => stopRequested(),
  });
  const restore = (request: unknown): Promise<RestoreAnswer> => peer.request('restore', request);
  const loginService = liveLoginService(config, store, restore, logger, limitsOfPrimary(peer, logger));
  // Ctrl-C reaches every process of the terminal's group: the primary stops the workers in order.
  process.on('SIGINT', () => undefined);
  process.once('SIGTERM', () => stopRequested());
  process.once('disconnect', () => stopRequested());
  let imap;
  try {
    imap = await startImapServer({
      ...imapServerOptions(config, countedLogins(loginService), logger),
      connectionAdmission: {
        admit: (address) => peer.request<Admission>('admit', { address }),
        release: (client) => peer.notify('release', { client }),
      },
    });
  } catch (error) {
    peer.notify('failed', { message: (error as Error).message });
    await loginService.close();
    throw error;
  }
  peer.notify('listening', { port: imap.port, tlsPort: imap.tlsPort });
  await stop;
  await imap.close();
  await loginService.close();
  peer.close('the worker is stopping');
}
