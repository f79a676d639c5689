/** `mtm serve` — the nightly scheduler (and, once wired, the IMAP server). */
import type { Command } from 'commander';
import { startScheduler } from '../../snapshots/scheduler/scheduler.js';
import { openContext, runCommand } from '../context.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('run the IMAP server and the nightly snapshot scheduler')
    .option('-c, --config <file>', 'config file')
    .action((options: { config?: string }) =>
      runCommand(async () => {
        const { config, store, logger } = openContext(options.config);
        const scheduler = startScheduler(config, store, logger);
        logger.info({ nextRun: scheduler.nextRun()?.toISOString() }, 'scheduler started');
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGTERM', stop);
          process.once('SIGINT', stop);
        });
        await scheduler.stop();
        await store.close();
      }),
    );
}
