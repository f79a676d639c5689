/** `mtm store migrate --to <target-config>` — copy the store of `-c` into the store another config describes. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { migrateStore } from '../../snapshots/store/migrate.js';
import { openStore } from '../../snapshots/store/store.js';
import { formatBytes, openContext, runCommand } from '../context.js';

export function registerStore(program: Command): void {
  const store = program.command('store').description('operations on the store as a whole');
  store
    .command('migrate')
    .description('copy every snapshot day, blob and restore record into the store of another config (e.g. embedded → PostgreSQL + S3); re-runnable, it skips what the target has')
    .option('-c, --config <file>', 'config file of the source store')
    .requiredOption('--to <file>', 'config file whose store section describes the target store')
    .action((options: { config?: string; to: string }) =>
      runCommand(async () => {
        // The target's config is read first: a mistake in it changes nothing anywhere.
        const targetSettings = loadConfig(options.to).store;
        const { store: source } = await openContext(options.config, 'read');
        try {
          const target = await openStore(targetSettings, 'write');
          try {
            process.stdout.write(`copying ${source.description} → ${target.description}\n`);
            const report = await migrateStore(source, target, {
              onEvent(event) {
                if (event.kind === 'day-present') process.stdout.write(`= ${event.account} ${event.day}: already in the target\n`);
                else process.stdout.write(`✓ ${event.account} ${event.day}: ${event.folders} folders, ${event.messages} messages; ${event.blobsCopied} blobs copied (${formatBytes(event.bytesCopied)})\n`);
              },
            });
            process.stdout.write(
              `${report.accounts} accounts: ${report.daysCopied} days copied, ${report.daysPresent} already there; ` +
                `${report.blobsCopied} blobs copied (${formatBytes(report.bytesCopied)}), ${report.blobsPresent} already there; ` +
                `${report.jobsCopied} restore records copied, ${report.jobsPresent} already there\n`,
            );
            return 0;
          } finally {
            await target.close();
          }
        } finally {
          await source.close();
        }
      }),
    );
}
