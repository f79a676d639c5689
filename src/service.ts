/**
 * The long-running service `mtm serve` (and `npm run demo`) starts: the IMAP server over the
 * store, logins checked against the live server, and the nightly scheduler.
 */
import type { Logger } from 'pino';
import { LiveLoginService } from './auth/index.js';
import type { Config } from './config/schema.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { webRoutes, webSessionsFor } from './http/web/index.js';
import { metrics, servingMetrics, snapshotMetrics } from './metrics.js';
import type { LoginService } from './proxy/ports.js';
import { startImapServer, type ImapServer } from './proxy/server.js';
import { recoveryRoutes } from './http/api/recovery-api.js';
import { RecoveryService } from './recovery/index.js';
import { startScheduler, type Scheduler } from './snapshots/scheduler/scheduler.js';
import type { Store, StoreObserver } from './snapshots/store/store.js';
import { snapshotViewFactory, type RestoreRequester } from './snapshots/view/index.js';

export interface RunningService {
  imap: ImapServer & { port: number; tlsPort?: number };
  scheduler: Scheduler | null;
  recovery: RecoveryService;
  http: HttpServer;
  stop(): Promise<void>;
}

export async function startService(config: Config, store: Store, logger: Logger, options: { scheduler?: boolean; storeObserver?: StoreObserver } = {}): Promise<RunningService> {
  const recovery = new RecoveryService({ config, store, logger });
  const loginService = new LiveLoginService(snapshotViewFactory(store, imapRestoreRequester(recovery), { daySeparator: config.server.daySeparator }), {
    upstream: { host: config.upstream.host, port: config.upstream.port, tls: config.upstream.tls, rejectUnauthorized: config.upstream.rejectUnauthorized },
    forwardClientIp: config.upstream.forwardClientIp,
    cacheSeconds: config.auth.cacheSeconds,
    failureDelayMs: config.auth.failureDelayMs,
    daySeparator: config.server.daySeparator,
    redisUrl: config.redis.url || undefined,
    logger,
  });
  const countedLogins: LoginService = {
    async login(user, password, remoteAddress, remotePort) {
      const result = await loginService.login(user, password, remoteAddress, remotePort);
      metrics.login(result.ok ? 'ok' : result.code === 'LIMIT' ? 'limited' : result.code === 'UNAVAILABLE' ? 'unavailable' : 'failed');
      return result;
    },
  };
  const imap = await startImapServer({
    host: config.server.host,
    port: config.server.port,
    tls: config.server.tls ? { key: config.server.tls.key, cert: config.server.tls.cert, port: config.server.tls.port } : undefined,
    allowPlaintextAuth: config.server.allowPlaintextAuth,
    maxLineBytes: config.server.maxLineBytes,
    maxLiteralBytes: config.server.maxLiteralBytes,
    idleTimeoutSeconds: config.server.idleTimeoutSeconds,
    maxConnectionsPerIp: config.server.maxConnectionsPerIp,
    maxConnections: config.server.maxConnections,
    preAuthTimeoutSeconds: config.server.preAuthTimeoutSeconds,
    loginService: countedLogins,
    logger,
    observer: servingMetrics,
  });
  const sessions = webSessionsFor(config.redis.url || undefined);
  const http = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    tls: config.http.tls,
    store,
    config,
    logger,
    extraRoutes: [...webRoutes({ config, store, loginService: countedLogins, sessions, logger }), ...recoveryRoutes({ config, store, recovery, loginService, logger, sessions })],
  });
  const scheduler = options.scheduler === false ? null : startScheduler(config, store, logger, { observer: snapshotMetrics, storeObserver: options.storeObserver });
  return {
    imap,
    scheduler,
    recovery,
    http,
    async stop() {
      await imap.close();
      await http.close();
      await sessions.close();
      await scheduler?.stop();
      await recovery.close();
      await loginService.close();
    },
  };
}

/** COPY/MOVE into `Restore`: the decision is the tagged reply, the outcome arrives by email. */
function imapRestoreRequester(recovery: RecoveryService): RestoreRequester {
  return async (request) => {
    const decision = await recovery.fileRestoreFromImap(request);
    if (decision.accepted) {
      const count = request.uids.length;
      return { accepted: true, text: `Restore of ${count} message${count === 1 ? '' : 's'} from ${request.day} accepted; a confirmation email will follow` };
    }
    const code = decision.denial.code === 'unavailable' ? 'UNAVAILABLE' : 'CANNOT';
    return { accepted: false, code, text: `Restore denied: ${decision.denial.reason}. ${decision.denial.advice}` };
  };
}
