/** `mtm verify [--account <user>]` — exit ≠ 0 on any damage, naming it. */
import type { Command } from 'commander';
import { loadConfig } from '../../config/load.js';
import { checkStoreIntegrity } from '../../snapshots/store/store.js';
import { verifyAccount } from '../../snapshots/verify.js';
import { openContext, runCommand } from '../context.js';

export function registerVerify(program: Command): void {
  program
    .command('verify')
    .description('check the catalog, and that every referenced blob exists and matches its hash')
    .option('-c, --config <file>', 'config file')
    .option('--account <user>', 'only this account')
    .action((options: { config?: string; account?: string }) =>
      runCommand(async () => {
        // The catalog first, before opening the store: a damaged one may not even open, and every
        // other answer below comes from it.
        const catalog = await checkStoreIntegrity(loadConfig(options.config).store, { thorough: true });
        process.stdout.write(`${catalog.ok ? '✓' : '✗'} catalog: ${catalog.text}\n`);
        if (!catalog.ok) return 1;
        const { store } = await openContext(options.config, 'read');
        try {
          const accounts = options.account ? [options.account] : await store.catalog.accounts();
          let damaged = 0;
          for (const account of accounts) {
            const result = await verifyAccount(store, account);
            for (const damage of result.damaged) process.stdout.write(`✗ ${damage.account}: blob ${damage.hash} ${damage.problem}\n`);
            damaged += result.damaged.length;
            process.stdout.write(`${result.damaged.length ? '✗' : '✓'} ${account}: ${result.checked} blobs checked, ${result.damaged.length} damaged\n`);
          }
          return damaged > 0 ? 1 : 0;
        } finally {
          await store.close();
        }
      }),
    );
}
