/** `mtm prune [--today <YYYY-MM-DD>]` */
import type { Command } from 'commander';
import { dayIn, parseDayLabel } from '../../snapshots/day-label.js';
import { pruneAll } from '../../snapshots/retention.js';
import { openContext, runCommand } from '../context.js';

export function registerPrune(program: Command): void {
  program
    .command('prune')
    .description('apply retention (keep snapshot.retentionDays days) and delete unreferenced blobs')
    .option('-c, --config <file>', 'config file')
    .option('--today <YYYY-MM-DD>', 'the day retention counts back from (default: today in snapshot.timezone)')
    .action((options: { config?: string; today?: string }) =>
      runCommand(async () => {
        const { config, store } = await openContext(options.config);
        try {
          const today = options.today ? parseDayLabel(options.today) : dayIn(config.snapshot.timezone);
          const results = await pruneAll(store, today, config.snapshot.retentionDays);
          for (const r of results) {
            process.stdout.write(`${r.account}: removed ${r.droppedDays.length} day(s)${r.droppedDays.length ? ` (${r.droppedDays.join(', ')})` : ''}, deleted ${r.deletedBlobs} blob(s)\n`);
          }
          if (results.length === 0) process.stdout.write('store is empty\n');
        } finally {
          await store.close();
        }
      }),
    );
}
