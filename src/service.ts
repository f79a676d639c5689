/**
 * The long-running service `mtm serve` (and `npm run demo`) starts: the IMAP server over the
 * store, logins checked against the live server, and the nightly scheduler.
 */
import type { Logger } from 'pino';
import { LiveLoginService } from './auth/index.js';
import type { Config } from './config/schema.js';
import { startImapServer, type ImapServer } from './proxy/server.js';
import { startScheduler, type Scheduler } from './snapshots/scheduler/scheduler.js';
import type { Store } from './snapshots/store/store.js';
import { snapshotViewFactory } from './snapshots/view/snapshot-view.js';

export interface RunningService {
  imap: ImapServer & { port: number; tlsPort?: number };
  scheduler: Scheduler | null;
  stop(): Promise<void>;
}

export async function startService(config: Config, store: Store, logger: Logger, options: { scheduler?: boolean } = {}): Promise<RunningService> {
  const loginService = new LiveLoginService(snapshotViewFactory(store), {
    upstream: { host: config.upstream.host, port: config.upstream.port, tls: config.upstream.tls, rejectUnauthorized: config.upstream.rejectUnauthorized },
    cacheSeconds: config.auth.cacheSeconds,
    failureDelayMs: config.auth.failureDelayMs,
    daySeparator: config.server.daySeparator,
    redisUrl: config.redis.url || undefined,
    logger,
  });
  const imap = await startImapServer({
    host: config.server.host,
    port: config.server.port,
    tls: config.server.tls ? { key: config.server.tls.key, cert: config.server.tls.cert, port: config.server.tls.port } : undefined,
    allowPlaintextAuth: config.server.allowPlaintextAuth,
    maxLineBytes: config.server.maxLineBytes,
    maxLiteralBytes: config.server.maxLiteralBytes,
    idleTimeoutSeconds: config.server.idleTimeoutSeconds,
    maxConnectionsPerIp: config.server.maxConnectionsPerIp,
    loginService,
    logger,
  });
  logger.info({ host: config.server.host, port: imap.port, tlsPort: imap.tlsPort }, 'IMAP server listening');
  const scheduler = options.scheduler === false ? null : startScheduler(config, store, logger);
  return {
    imap,
    scheduler,
    async stop() {
      await imap.close();
      await scheduler?.stop();
      await loginService.close();
    },
  };
}
