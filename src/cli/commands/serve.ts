/** `mtm serve` — the IMAP server and the nightly snapshot scheduler, until SIGTERM/SIGINT. */
import cluster from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { serveAsWorker } from '../../cluster/index.js';
import { startService } from '../../service.js';
import { openContext, runCommand } from '../context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the IMAP server and the nightly snapshot scheduler')
    .option('-c, --config <file>', 'config file')
    .action((options: { config?: string }) =>
      runCommand(async () => {
        if (cluster.isWorker) {
          // An IMAP worker forked by the primary below (server.workers > 1): it only reads the store.
          const { config, store, logger } = await openContext(options.config, 'read');
          let code = 0;
          try {
            await serveAsWorker(config, store, logger);
          } catch (error) {
            process.stderr.write(`mtm: IMAP worker ${process.pid}: ${(error as Error).message}\n`);
            code = 1;
          } finally {
            await store.close();
          }
          // The IPC channel would keep the process alive; the primary waits for this exit.
          process.exit(code);
        }
        const { config, store, storeObserver, logger } = await openContext(options.config, 'serve');
        if (store.readOnly) {
          logger.warn({ store: store.description, reason: store.readOnly }, 'store not writable: serving the snapshots it holds; snapshots and restores fail until it is writable and mtm serve restarts');
          process.stderr.write(`mtm: ${store.readOnly}: serving read-only; snapshots and restores are refused until it is writable and mtm serve restarts\n`);
        }
        const imapWorkers = config.server.workers === 0 ? availableParallelism() : config.server.workers;
        const service = await startService(config, store, logger, { scheduler: store.readOnly === null, imapWorkers, storeObserver });
        const served = imapWorkers > 1 ? ` by ${imapWorkers} worker processes` : '';
        process.stderr.write(`mtm: IMAP on ${config.server.host}:${service.imap.port}${service.imap.tlsPort ? ` (TLS ${service.imap.tlsPort})` : ''}${served}; next snapshot run ${service.scheduler?.nextRun()?.toISOString() ?? 'never'}\n`);
        process.stderr.write(`mtm: web interface on ${config.http.tls ? 'https' : 'http'}://${config.http.host}:${service.http.port}/\n`);
        await new Promise<void>((resolve) => {
          process.once('SIGTERM', resolve);
          process.once('SIGINT', resolve);
        });
        await service.stop();
        await store.close();
      }),
    );
}
