/**
 * The long-running service `mtm serve` (and `npm run demo`) starts: the IMAP server over the
 * store, logins checked against the live server, and the nightly scheduler. With more than one
 * IMAP worker (`server.workers`), this process is the primary: it runs HTTP, the scheduler and the
 * restore jobs once, and IMAP is served by worker processes (src/cluster) wired by the same helpers.
 */
import type { Logger } from 'pino';
import { LiveLoginService, type LoginLimits } from './auth/index.js';
import { createWorkerPool } from './cluster/primary.js';
import type { Config } from './config/schema.js';
import { startHttpServer, type HttpServer } from './http/server.js';
import { webRoutes, webSessionsFor } from './http/web/index.js';
import { metrics, renderMetricsWith, servingMetrics, snapshotMetrics } from './metrics.js';
import { ConnectionLimits } from './proxy/connection-limits.js';
import type { LoginService } from './proxy/ports.js';
import { startImapServer, type ImapServer, type ImapServerOptions } from './proxy/server.js';
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

export interface ServiceOptions {
  scheduler?: boolean;
  /** IMAP worker processes; 1 (the default): IMAP served in this process, no workers. */
  imapWorkers?: number;
  /** Where the nightly run's worker processes report their store calls (the metrics of this process). */
  storeObserver?: StoreObserver;
}

/** Logins checked on the live server, showing snapshots of `store`; `sharedLimits`: counted elsewhere (an IMAP worker). */
export function liveLoginService(config: Config, store: Store, restore: RestoreRequester, logger: Logger, sharedLimits?: LoginLimits): LiveLoginService {
  return new LiveLoginService(snapshotViewFactory(store, restore, { daySeparator: config.server.daySeparator }), {
    upstream: { host: config.upstream.host, port: config.upstream.port, tls: config.upstream.tls, rejectUnauthorized: config.upstream.rejectUnauthorized },
    forwardClientIp: config.upstream.forwardClientIp,
    cacheSeconds: config.auth.cacheSeconds,
    failureDelayMs: config.auth.failureDelayMs,
    daySeparator: config.server.daySeparator,
    redisUrl: config.redis.url || undefined,
    sharedLimits,
    logger,
  });
}

/** The login service, with each result counted in the metrics. */
export function countedLogins(loginService: LoginService): LoginService {
  return {
    async login(user, password, remoteAddress, remotePort, log) {
      const result = await loginService.login(user, password, remoteAddress, remotePort, log);
      metrics.login(result.ok ? 'ok' : result.code === 'LIMIT' ? 'limited' : result.code === 'UNAVAILABLE' ? 'unavailable' : 'failed');
      return result;
    },
  };
}

/** The IMAP server's options from the config. */
export function imapServerOptions(config: Config, loginService: LoginService, logger: Logger): ImapServerOptions {
  return {
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
    loginService,
    logger,
    observer: servingMetrics,
  };
}

export async function startService(config: Config, store: Store, logger: Logger, options: ServiceOptions = {}): Promise<RunningService> {
  const recovery = new RecoveryService({ config, store, logger });
  const restore = imapRestoreRequester(recovery);
  const loginService = liveLoginService(config, store, restore, logger);
  const logins = countedLogins(loginService);
  const workers = options.imapWorkers ?? 1;
  const pool =
    workers > 1
      ? createWorkerPool({
          workers,
          port: config.server.port,
          tlsPort: config.server.tls?.port,
          connectionLimits: new ConnectionLimits(config.server.maxConnectionsPerIp, config.server.maxConnections),
          // One count for the web sign-in of this process and the IMAP logins of every worker.
          loginLimits: loginService.limits,
          restore,
          logger,
        })
      : null;
  const imap = pool ? { ...pool, ...(await pool.listen()) } : await startImapServer(imapServerOptions(config, logins, logger));
  const sessions = webSessionsFor(config.redis.url || undefined);
  const http = await startHttpServer({
    host: config.http.host,
    port: config.http.port,
    tls: config.http.tls,
    store,
    config,
    logger,
    renderMetrics: pool ? async () => renderMetricsWith(await pool.workerMetrics()) : undefined,
    extraRoutes: [...webRoutes({ config, store, loginService: logins, sessions, logger }), ...recoveryRoutes({ config, store, recovery, loginService, logger, sessions })],
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
