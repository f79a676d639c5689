/** `mtm snapshot [--account <user>]… [--label <YYYY-MM-DD>]` */
import type { Command } from 'commander';
import { dayIn, parseDayLabel } from '../../snapshots/day-label.js';
import { configuredAccounts, credentialsFor, type SnapshotAccount } from '../../upstream/index.js';
import { runSnapshots, type AccountOutcome } from '../../snapshots/snapshotter/run.js';
import { formatBytes, openContext, runCommand } from '../context.js';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function describeOutcome(outcome: AccountOutcome): string {
  if (!outcome.ok) return `✗ ${outcome.account}: FAILED — ${outcome.error}`;
  const r = outcome.result;
  return `✓ ${r.account} ${r.day}: ${r.folders} folders, ${r.messages} messages, ${formatBytes(r.bytes)}; downloaded ${r.downloaded} (${formatBytes(r.downloadedBytes)}), ${r.unchangedFolders} folders unchanged, ${outcome.seconds.toFixed(1)} s`;
}

export function registerSnapshot(program: Command): void {
  program
    .command('snapshot')
    .description('take snapshots now, for all configured accounts or the named ones')
    .option('-c, --config <file>', 'config file (default: $MTM_CONFIG or config/default.yaml)')
    .option('--account <user>', 'account to snapshot (repeatable)', collect, [])
    .option('--label <YYYY-MM-DD>', 'day to file the snapshot under (default: today in snapshot.timezone)')
    .action((options: { config?: string; account: string[]; label?: string }) =>
      runCommand(async () => {
        const context = await openContext(options.config);
        const { config, store, storeObserver, logger, interactive } = context;
        try {
          const day = options.label ? parseDayLabel(options.label) : dayIn(config.snapshot.timezone);
          const known = configuredAccounts(config.snapshot);
          let accounts: SnapshotAccount[] = known;
          if (options.account.length > 0) {
            accounts = options.account.map((user) => {
              const credentials = credentialsFor(config.snapshot, user, known);
              if (!credentials) throw new Error(`${user}: not in snapshot.accountsFile, so there is no password to log in with`);
              return { user, credentials };
            });
          }
          if (accounts.length === 0) throw new Error('no accounts to snapshot: set snapshot.accounts or snapshot.accountsFile, or pass --account');
          const outcomes = await runSnapshots({
            config, store, storeObserver, accounts, day, logger,
            onProgress: interactive
              ? (event) => process.stderr.write(`\r\x1b[K${event.account} ${event.folder}: ${event.done}/${event.total} bodies`)
              : undefined,
            onAccountDone: interactive ? () => process.stderr.write('\r\x1b[K') : undefined,
          });
          for (const outcome of outcomes) process.stdout.write(`${describeOutcome(outcome)}\n`);
          const failed = outcomes.filter((outcome) => !outcome.ok).length;
          process.stdout.write(`${outcomes.length - failed} of ${outcomes.length} accounts snapshotted for ${day}\n`);
          return failed > 0 ? 1 : 0;
        } finally {
          await store.close();
        }
      }),
    );
}
