/**
 * `mtm export --account <u> --day <d> --folder <f> [--uid <set>] --format eml|mbox [-o <file>]`.
 * eml: one message → the file (or stdout); several → a directory of <uid>.eml. mbox: the folder (or
 * the chosen UIDs) as one mboxrd file (or stdout), streamed.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { damagedAmong, describeUids, emlStream, mboxStream, resolveUidSet } from '../../recovery/index.js';
import { SnapshotWalk } from '../../snapshots/walk/index.js';
import { openContext, runCommand } from '../context.js';

interface ExportOptions {
  config?: string;
  account: string;
  day: string;
  folder: string;
  uid?: string;
  format: string;
  output?: string;
}

export function registerExport(program: Command): void {
  program
    .command('export')
    .description('download messages of a snapshot folder as .eml files or as one mbox file')
    .option('-c, --config <file>', 'config file')
    .requiredOption('--account <user>', 'account')
    .requiredOption('--day <YYYY-MM-DD>', 'snapshot day')
    .requiredOption('--folder <name>', 'snapshot folder ("/"-separated)')
    .option('--uid <set>', 'only these UIDs (e.g. 4,7:9); default: the whole folder')
    .requiredOption('--format <format>', 'eml or mbox')
    .option('-o, --output <path>', 'file (mbox, one eml) or directory (several eml); default: stdout where possible')
    .action((options: ExportOptions) =>
      runCommand(async () => {
        const { store } = await openContext(options.config, 'read');
        try {
          if (options.format !== 'eml' && options.format !== 'mbox') throw new Error(`--format must be eml or mbox, not "${options.format}"`);
          const { capture: { day }, messages } = await new SnapshotWalk(store.catalog, options.account).openFolder(options.day, options.folder);
          let chosen = messages;
          if (options.uid) {
            const uids = resolveUidSet(options.uid, messages.map((message) => message.uid));
            const byUid = new Map(messages.map((message) => [message.uid, message]));
            const missing = uids.filter((uid) => !byUid.has(uid));
            if (missing.length > 0) throw new Error(`folder "${options.folder}" of ${day} has no message with UID ${missing.join(', ')}`);
            chosen = uids.map((uid) => byUid.get(uid)!);
          }
          if (chosen.length === 0) throw new Error(`nothing to export: folder "${options.folder}" of ${day} has no such messages`);
          // Before anything is written: an export with a damaged message in it would be wrong or cut short.
          const damaged = await damagedAmong(store, options.account, chosen);
          if (damaged.length > 0) throw new Error(`the stored copy of message UID ${describeUids(damaged)} is damaged; nothing was exported. Export the others with --uid, and run mtm verify`);
          const target = (path: string | undefined) => (path ? createWriteStream(path) : process.stdout);
          if (options.format === 'mbox') {
            await pipeline(mboxStream(store, options.account, chosen), target(options.output));
          } else if (chosen.length === 1) {
            await pipeline(emlStream(store, options.account, chosen[0]), target(options.output));
          } else {
            if (!options.output) throw new Error('several messages as eml need -o <directory>');
            mkdirSync(options.output, { recursive: true });
            for (const message of chosen) await pipeline(emlStream(store, options.account, message), createWriteStream(join(options.output, `${message.uid}.eml`)));
          }
          if (options.output) process.stderr.write(`exported ${chosen.length} message${chosen.length === 1 ? '' : 's'} to ${options.output}\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
