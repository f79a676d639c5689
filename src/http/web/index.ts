/**
 * The web interface on the `http` listener (issue 15, DESIGN §7): its files at `/`, sessions, and
 * the API routes it adds. The routes go before the recovery API's, which they extend.
 */
import type { HttpRoute } from '../server.js';
import { staticRoute } from './static-files.js';
import { webApiRoutes, type WebApiOptions } from './web-api.js';

export { WebSessions, webSessionsFor } from './sessions.js';

export function webRoutes(options: WebApiOptions & { webRoot?: string }): HttpRoute[] {
  return [staticRoute(options.webRoot), ...webApiRoutes(options)];
}
