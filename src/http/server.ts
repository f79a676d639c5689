/**
 * The HTTP listener of `mtm serve`: `/healthz` (the process answers), `/readyz` (what it depends on
 * answers), `/metrics` (Prometheus). Routes are a list of handlers tried in order, so the recovery
 * API mounts on the same listener by adding its own.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { metrics, renderMetrics } from '../metrics.js';
import type { Store } from '../snapshots/store/store.js';
import { createReadiness, type ReadinessSettings } from './readiness.js';

/** Answers the request and resolves true, or resolves false to let the next route try. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  store: Store;
  config: ReadinessSettings;
  logger: Logger;
  /** Tried after the built-in routes, in order. */
  extraRoutes?: HttpRoute[];
  /** PEM key and certificate (text or file paths): serve HTTPS, as the recovery API's sign-in wants. */
  tls?: { key: string; cert: string };
  /** What /metrics answers; this process's registry by default (a server with IMAP workers adds theirs). */
  renderMetrics?: () => Promise<{ contentType: string; body: string }>;
}

export interface HttpServer {
  /** The bound port. */
  port: number;
  /** Mounts more routes after start (e.g. the recovery API once it is ready). */
  addRoute(route: HttpRoute): void;
  close(): Promise<void>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** A route for one method + path (query string ignored). */
export function route(method: string, path: string, handler: (req: IncomingMessage, res: ServerResponse) => Promise<void> | void): HttpRoute {
  return async (req, res) => {
    const pathname = (req.url ?? '/').split('?')[0];
    if (pathname !== path) return false;
    if (req.method !== method && !(method === 'GET' && req.method === 'HEAD')) {
      res.writeHead(405, { allow: method }).end();
      return true;
    }
    await handler(req, res);
    return true;
  };
}

export async function startHttpServer(options: HttpServerOptions): Promise<HttpServer> {
  const { config, store, logger } = options;
  const readiness = createReadiness(config, store);
  const routes: HttpRoute[] = [
    route('GET', '/healthz', (_req, res) => sendJson(res, 200, { status: 'ok' })),
    route('GET', '/readyz', async (_req, res) => {
      const { ready, checks } = await readiness.check();
      if (!ready) logger.warn({ failed: checks.filter((check) => !check.ok) }, 'not ready');
      sendJson(res, ready ? 200 : 503, {
        status: ready ? 'ready' : 'unready',
        failed: checks.filter((check) => !check.ok).map((check) => check.name),
        checks,
      });
    }),
    route('GET', '/metrics', async (_req, res) => {
      const { contentType, body } = await (options.renderMetrics ?? renderMetrics)();
      res.writeHead(200, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    }),
    ...(options.extraRoutes ?? []),
  ];

  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    void (async () => {
      for (const candidate of routes) {
        if (await candidate(req, res)) return;
      }
      sendJson(res, 404, { error: 'not found' });
    })().catch((error: Error) => {
      logger.error({ url: req.url, error: error.message }, 'HTTP handler failed');
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  };
  const pem = (value: string) => (value.includes('-----BEGIN') ? value : readFileSync(value));
  const server = options.tls ? createHttpsServer({ key: pem(options.tls.key), cert: pem(options.tls.cert) }, handler) : createServer(handler);
  // Probes come every few seconds: do not keep idle sockets around for minutes.
  server.keepAliveTimeout = 5000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  logger.info({ host: options.host, port }, 'HTTP listening (/healthz, /readyz, /metrics)');
  // Store gauges start filled in, not empty until the first nightly run.
  metrics.refreshStore(store).catch((error: Error) => logger.warn({ error: error.message }, 'cannot compute store metrics'));

  return {
    port,
    addRoute: (extra) => routes.push(extra),
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await readiness.close();
    },
  };
}
