/** `mtm list --account <user> [--day <d>] [--folder <f>] [--json]` — shapes are a contract (issue 2). */
import type { Command } from 'commander';
import { SnapshotWalk } from '../../snapshots/walk/index.js';
import { formatBytes, openContext, runCommand } from '../context.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('days of an account, folders of a day, or messages of a folder')
    .option('-c, --config <file>', 'config file')
    .requiredOption('--account <user>', 'account')
    .option('--day <YYYY-MM-DD>', 'snapshot day')
    .option('--folder <name>', 'folder of that day ("/"-separated)')
    .option('--json', 'machine-readable output')
    .action((options: { config?: string; account: string; day?: string; folder?: string; json?: boolean }) =>
      runCommand(async () => {
        const { store } = await openContext(options.config, 'read');
        try {
          const print = (rows: unknown[], lines: () => string[]): void => void
            process.stdout.write(options.json ? `${JSON.stringify(rows)}\n` : `${lines().join('\n')}\n`);
          const walk = new SnapshotWalk(store.catalog, options.account);
          if (!options.day) {
            if (options.folder) throw new Error('--folder needs --day');
            const days = await walk.days();
            const rows = days.map(({ day, folders, messages, bytes }) => ({ day, folders, messages, bytes }));
            return print(rows, () => rows.length === 0 ? [`no snapshots for ${options.account}`] : rows.map((r) => `${r.day}  ${r.folders} folders  ${r.messages} messages  ${formatBytes(r.bytes)}`));
          }
          const capture = await walk.capture(options.day);
          const folders = await walk.folders(capture);
          if (!options.folder) {
            const rows = folders.records.map((f) => ({ name: f.name, delimiter: '/', messages: f.messages, uidValidity: f.uidValidity, uidNext: f.uidNext, subscribed: f.subscribed, specialUse: f.specialUse }));
            return print(rows, () => rows.map((r) => `${r.name}  ${r.messages} messages  uidvalidity ${r.uidValidity}${r.subscribed ? '' : '  (unsubscribed)'}${r.specialUse ? `  ${r.specialUse}` : ''}`));
          }
          const messages = await walk.messages(capture, walk.folderIn(capture, folders, options.folder));
          const rows = messages.map((m) => ({ uid: m.uid, size: m.size, flags: m.flags, internalDate: m.internalDate.toISOString(), sha256: m.blobHash }));
          return print(rows, () => rows.map((r) => `${r.uid}  ${r.size}  ${r.internalDate}  ${r.flags.join(' ')}  ${r.sha256.slice(0, 12)}`));
        } finally {
          await store.close();
        }
      }),
    );
}
