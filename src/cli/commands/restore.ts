/**
 * `mtm restore --account <u> --day <d> [--folder <f>] [--uid <set>] [--mode merge|separate]
 * [--subfolders] [--preview] [--json]` — the operator's restore (acts as administrator). Prints the
 * decision, progress and the result; exit code 1 on denial or failure, 0 when everything is back.
 */
import type { Command } from 'commander';
import { RecoveryService, resolveUidSet, type RestoreJob, type RestoreMode, type RestorePreview, type RestoreRequest, type RestoreScope } from '../../recovery/index.js';
import { SnapshotWalk } from '../../snapshots/walk/index.js';
import { formatBytes, openContext, runCommand } from '../context.js';

interface RestoreOptions {
  config?: string;
  account: string;
  day: string;
  folder?: string;
  uid?: string;
  mode: string;
  subfolders?: boolean;
  preview?: boolean;
  json?: boolean;
}

function previewLines(preview: RestorePreview): string[] {
  const lines = preview.folders.map(
    (folder) => `  ${folder.source} -> ${folder.target}${folder.exists ? '' : ' (will be created)'}: ${folder.messages} messages, ${folder.alreadyPresent} already there, ${formatBytes(folder.bytesToRestore)} to write`,
  );
  lines.push(`${preview.messages} messages (${formatBytes(preview.bytes)}) in ${preview.folders.length} folders; ${preview.alreadyPresent} already present; ${preview.toRestore} to restore (${formatBytes(preview.bytesToRestore)})`);
  return lines;
}

function resultLines(job: RestoreJob): string[] {
  const result = job.result;
  if (!result) return [`restore ${job.status}: ${job.reason ?? 'no result'}`];
  return [
    ...result.folders.map((folder) => `  ${folder.source} -> ${folder.target}${folder.created ? ' (created)' : ''}: ${folder.restored} restored, ${folder.alreadyPresent} already present, ${folder.failed} failed`),
    ...(result.damaged ?? []).map((message) => `  ✗ ${message.folder} UID ${message.uid}: skipped, its stored copy is damaged (run mtm verify)`),
    `restore ${job.status}: ${result.restored} restored, ${result.alreadyPresent} already present, ${result.failed} failed${result.damaged?.length ? `, ${result.damaged.length} skipped as damaged` : ''}`,
  ];
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore messages, a folder or the whole account from a snapshot day into the live mailbox')
    .option('-c, --config <file>', 'config file')
    .requiredOption('--account <user>', 'account')
    .requiredOption('--day <YYYY-MM-DD>', 'snapshot day')
    .option('--folder <name>', 'snapshot folder ("/"-separated); without it: the whole account')
    .option('--uid <set>', 'only these UIDs of --folder (e.g. 4,7:9)')
    .option('--mode <mode>', 'merge (into the original folders) or separate (into Restored/<day>/…)', 'merge')
    .option('--subfolders', 'with --folder: include the folders below it')
    .option('--preview', 'show what would be restored, change nothing')
    .option('--json', 'machine-readable output')
    .action((options: RestoreOptions) =>
      runCommand(async () => {
        const { config, store, logger, interactive } = await openContext(options.config);
        const service = new RecoveryService({ config, store, logger });
        const print = (value: unknown, lines: string[]): void => void process.stdout.write(options.json ? `${JSON.stringify(value)}\n` : `${lines.join('\n')}\n`);
        try {
          const walk = new SnapshotWalk(store.catalog, options.account);
          const day = walk.day(options.day);
          if (options.mode !== 'merge' && options.mode !== 'separate') throw new Error(`--mode must be merge or separate, not "${options.mode}"`);
          if ((options.uid || options.subfolders) && !options.folder) throw new Error('--uid and --subfolders need --folder');
          if (options.uid && options.subfolders) throw new Error('--uid and --subfolders cannot be combined');
          let scope: RestoreScope = { kind: 'account' };
          if (options.folder && options.uid) {
            const { messages } = await walk.openFolder(day, options.folder);
            scope = { kind: 'messages', folder: options.folder, uids: resolveUidSet(options.uid, messages.map((message) => message.uid)) };
          } else if (options.folder) {
            scope = { kind: 'folder', folder: options.folder, subfolders: Boolean(options.subfolders) };
          }
          const request: RestoreRequest = { account: options.account, day, scope, mode: options.mode as RestoreMode, requester: { kind: 'admin', name: 'cli' }, origin: 'cli' };

          if (options.preview) {
            const outcome = await service.preview(request);
            if (!outcome.ok) {
              print({ accepted: false, denial: outcome.denial }, [`would be denied: ${outcome.denial.reason}`, `what to do: ${outcome.denial.advice}`]);
              return 1;
            }
            print({ accepted: true, preview: outcome.preview }, ['preview (nothing written):', ...previewLines(outcome.preview)]);
            return 0;
          }

          const decision = await service.submit(request);
          if (!decision.accepted) {
            print(decision, [`denied: ${decision.denial.reason}`, `what to do: ${decision.denial.advice}`, decision.notified ? 'a denial email was sent to the account' : decision.alreadyNotified ? 'a denial email for this reason was already sent today' : decision.jobId ? 'no denial email could be delivered' : 'nothing was recorded']);
            return 1;
          }
          if (!options.json) process.stdout.write(['accepted:', ...previewLines(decision.preview)].join('\n') + '\n');
          let shown = -1;
          const timer = setInterval(async () => {
            const job = await service.job(decision.jobId).catch(() => null);
            if (!job || job.progress.done === shown) return;
            shown = job.progress.done;
            if (interactive) process.stderr.write(`\r${job.progress.done}/${job.progress.total} messages${job.progress.folder ? `  ${job.progress.folder}` : ''}\u001b[K`);
            else logger.info({ jobId: job.id, ...job.progress }, 'restore progress');
          }, 500);
          const job = await service.whenDone(decision.jobId).finally(() => clearInterval(timer));
          if (interactive) process.stderr.write('\n');
          print(job, resultLines(job));
          return job.status === 'done' && (job.result?.failed ?? 0) === 0 && (job.result?.damaged?.length ?? 0) === 0 ? 0 : 1;
        } finally {
          await service.close();
          await store.close();
        }
      }),
    );
}
