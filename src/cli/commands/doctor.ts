/** `mtm doctor [--json]` — check a deployment; exit ≠ 0 if any check fails. */
import type { Command } from 'commander';
import { formatChecks, runDoctor } from '../../doctor/index.js';
import { runCommand } from '../context.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check the config, the live server, master-user login, the store, Redis and TLS files')
    .option('-c, --config <file>', 'config file (default: $MTM_CONFIG or config/default.yaml)')
    .option('--json', 'print the checks as JSON')
    .action((options: { config?: string; json?: boolean }) =>
      runCommand(async () => {
        const checks = await runDoctor(options.config);
        process.stdout.write(options.json ? `${JSON.stringify(checks, null, 2)}\n` : formatChecks(checks));
        return checks.some((check) => check.status === 'fail') ? 1 : 0;
      }),
    );
}
