/**
 * The HTTP listener with the recovery API, alone in a process of its own, so that a test can watch
 * this process's memory (RSS) while a large message downloads. Runs the built code in dist/ (npm
 * test builds it first). Usage: node recovery-api-server.mjs <config.yaml>; prints {"port":…} once
 * listening, stops on SIGTERM.
 */
import { LiveLoginService } from '../../../dist/auth/index.js';
import { loadConfig } from '../../../dist/config/load.js';
import { startHttpServer } from '../../../dist/http/server.js';
import { createLogger } from '../../../dist/log.js';
import { recoveryRoutes } from '../../../dist/http/api/recovery-api.js';
import { RecoveryService } from '../../../dist/recovery/service.js';
import { openStore } from '../../../dist/snapshots/store/store.js';
import { snapshotViewFactory } from '../../../dist/snapshots/view/snapshot-view.js';

const config = loadConfig(process.argv[2]);
const logger = createLogger('warn');
const store = await openStore(config.store);
const recovery = new RecoveryService({ config, store, logger });
const { host, port, tls, rejectUnauthorized } = config.upstream;
const loginService = new LiveLoginService(snapshotViewFactory(store), { upstream: { host, port, tls, rejectUnauthorized }, failureDelayMs: 50, logger });
const http = await startHttpServer({
  host: '127.0.0.1',
  port: 0,
  store,
  config,
  logger,
  extraRoutes: recoveryRoutes({ config, store, recovery, loginService, logger }),
});
// Measuring: with MTM_TEST_GC_MS (and --expose-gc) collect garbage often, so that RSS shows the
// memory the server holds on to rather than freed chunks the collector has not reclaimed yet.
const gcEvery = Number(process.env.MTM_TEST_GC_MS ?? 0);
if (gcEvery > 0 && typeof globalThis.gc === 'function') setInterval(() => globalThis.gc(), gcEvery).unref();
process.stdout.write(`${JSON.stringify({ port: http.port })}\n`);

process.once('SIGTERM', async () => {
  await http.close();
  await recovery.close();
  await loginService.close();
  await store.close();
  process.exit(0);
});
