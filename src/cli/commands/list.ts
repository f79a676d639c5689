/** `mtm list --account <user> [--day <d>] [--folder <f>] [--json]` — shapes are a contract (issue 2). */
import type { Command } from 'commander';
import type { Store } from '../../snapshots/store/store.js';
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
          const rows = await listRows(store.catalog, options.account, options.day, options.folder);
          const lines = (): string[] => {
            if (!options.day) {
              const days = rows as DayRow[];
              return days.length === 0 ? [`no snapshots for ${options.account}`] : days.map((r) => `${r.day}  ${r.folders} folders  ${r.messages} messages  ${formatBytes(r.bytes)}`);
            }
            if (!options.folder) return (rows as FolderRow[]).map((r) => `${r.name}  ${r.messages} messages  uidvalidity ${r.uidValidity}${r.subscribed ? '' : '  (unsubscribed)'}${r.specialUse ? `  ${r.specialUse}` : ''}`);
            return (rows as MessageRow[]).map((r) => `${r.uid}  ${r.size}  ${r.internalDate}  ${r.flags.join(' ')}  ${r.sha256.slice(0, 12)}`);
          };
          process.stdout.write(options.json ? `${JSON.stringify(rows)}\n` : `${lines().join('\n')}\n`);
        } finally {
          await store.close();
        }
      }),
    );
}

interface DayRow { day: string; folders: number; messages: number; bytes: number }
interface FolderRow { name: string; delimiter: string; messages: number; uidValidity: number; uidNext: number; subscribed: boolean; specialUse: string | null }
interface MessageRow { uid: number; size: number; flags: string[]; internalDate: string; sha256: string }

/**
 * What `mtm list --json` prints: the account's days; with `day`, that day's folders; with `folder`
 * too, its messages. Exported so tests can compare whole stores without a process per listing.
 */
export async function listRows(catalog: Store['catalog'], account: string, day?: string, folder?: string): Promise<DayRow[] | FolderRow[] | MessageRow[]> {
  const walk = new SnapshotWalk(catalog, account);
  if (!day) {
    if (folder) throw new Error('--folder needs --day');
    return (await walk.days()).map(({ day: label, folders, messages, bytes }) => ({ day: label, folders, messages, bytes }));
  }
  const capture = await walk.capture(day);
  const folders = await walk.folders(capture);
  if (!folder) {
    return folders.records.map((f) => ({ name: f.name, delimiter: '/', messages: f.messages, uidValidity: f.uidValidity, uidNext: f.uidNext, subscribed: f.subscribed, specialUse: f.specialUse }));
  }
  const messages = await walk.messages(capture, walk.folderIn(capture, folders, folder));
  return messages.map((m) => ({ uid: m.uid, size: m.size, flags: m.flags, internalDate: m.internalDate.toISOString(), sha256: m.blobHash }));
}
