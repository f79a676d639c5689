/** What every CLI command needs: the config, a logger and the store, with errors made readable. */
import type { Logger } from 'pino';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createLogger } from '../log.js';
import { metrics } from '../metrics.js';
import { openStore, type Store, type StoreAccess, type StoreObserver } from '../snapshots/store/store.js';
import { SnapshotWalkError } from '../snapshots/walk/index.js';

export interface CliContext {
  config: Config;
  logger: Logger;
  store: Store;
  /** What the store reports (metrics, damage logs); given to whatever else opens the store for this command (snapshot workers). */
  storeObserver: StoreObserver;
  interactive: boolean;
}

/** `access`: 'read' for commands that never write (they then work from a read-only or full store). */
export async function openContext(configPath: string | undefined, access: StoreAccess = 'write'): Promise<CliContext> {
  const config = loadConfig(configPath);
  const interactive = Boolean(process.stderr.isTTY);
  // On a terminal the commands print their own progress; logs would only interleave with it.
  const logger = createLogger(interactive ? 'warn' : config.log.level);
  const storeObserver: StoreObserver = {
    backendCall: (call) => metrics.storeBackendCall(call),
    notice: (text) => logger.warn(text),
    blobDamaged(damage) {
      metrics.blobDamaged();
      logger.error({ account: damage.account, blob: damage.hash, problem: damage.problem }, 'stored message damaged; it is not served or restored until repaired (run mtm verify)');
    },
  };
  const store = await openStore(config.store, access, storeObserver);
  return { config, logger, store, storeObserver, interactive };
}

/** The `mtm list` that shows what there is instead, after a day or folder that isn't there. */
function whereToLook(error: SnapshotWalkError): string {
  const { account, day } = error.where;
  if (error.problem === 'bad-day') return '';
  return ` (see: mtm list --account ${account}${error.problem === 'no-folder' && day ? ` --day ${day}` : ''})`;
}

/** Runs a command body, turning any error into one line on stderr and exit code 1. */
export async function runCommand(body: () => Promise<number | void>): Promise<void> {
  try {
    const code = await body();
    process.exitCode = code ?? 0;
  } catch (error) {
    process.stderr.write(`mtm: ${(error as Error).message}${error instanceof SnapshotWalkError ? whereToLook(error) : ''}\n`);
    process.exitCode = 1;
  }
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
