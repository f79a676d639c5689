/**
 * The restore itself: for every planned folder, find what the live folder already holds, then
 * APPEND the rest with their flags and INTERNALDATE. Presence is recomputed on every run, so a
 * restore repeated or re-run after a crash adds only what is still missing.
 */
import { BlobDamagedError } from '../snapshots/store/blob-damage.js';
import type { Store } from '../snapshots/store/store.js';
import { LiveConnectionLost, type AppendItem, type LiveFolder, type LiveMailbox } from './live-mailbox.js';
import { splitByPresence } from './message-identity.js';
import type { PlannedFolder, PlannedMessage, RestorePlan } from './plan.js';

export interface FolderPreview {
  source: string;
  /** Live path it goes to. */
  target: string;
  exists: boolean;
  messages: number;
  bytes: number;
  alreadyPresent: number;
  bytesToRestore: number;
}

export interface RestorePreview {
  folders: FolderPreview[];
  messages: number;
  bytes: number;
  alreadyPresent: number;
  toRestore: number;
  bytesToRestore: number;
  foldersToCreate: number;
}

export interface FolderOutcome {
  source: string;
  target: string;
  created: boolean;
  restored: number;
  alreadyPresent: number;
  failed: number;
  /** Skipped because their stored copy is damaged (absent in jobs recorded before this was counted). */
  damaged?: number;
}

/** A message a restore skipped because its stored copy is damaged: never APPENDed, named in the notice. */
export interface DamagedMessage {
  folder: string;
  uid: number;
}

export interface RestoreResult {
  folders: FolderOutcome[];
  restored: number;
  alreadyPresent: number;
  failed: number;
  /** Messages skipped as damaged (absent in jobs recorded before this was counted). */
  damaged?: DamagedMessage[];
}

export interface RestoreProgress {
  done: number;
  total: number;
  folder: string;
}

/**
 * A restore stopped before the end (the live connection broke, the store failed): `result` holds
 * what had been done, `connectionLost` says whether running it again later is the remedy.
 */
export class RestoreInterrupted extends Error {
  readonly connectionLost: boolean;

  constructor(
    readonly result: RestoreResult,
    readonly cause: unknown,
    connected = true,
  ) {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const lost = cause instanceof LiveConnectionLost || !connected;
    super(lost && !(cause instanceof LiveConnectionLost) ? `the connection to the mail server was lost (${detail})` : detail);
    this.name = 'RestoreInterrupted';
    this.connectionLost = lost;
  }
}

const READ_BATCH_MESSAGES = 50;
const READ_BATCH_BYTES = 4 * 1024 * 1024;

function orderedFolders(plan: RestorePlan): PlannedFolder[] {
  // Parents before children, so a re-created hierarchy is created top-down.
  return [...plan.folders].sort((a, b) => (a.target < b.target ? -1 : a.target > b.target ? 1 : 0));
}

export async function previewRestore(live: LiveMailbox, plan: RestorePlan): Promise<RestorePreview> {
  const liveFolders = await live.folders();
  const preview: RestorePreview = { folders: [], messages: 0, bytes: 0, alreadyPresent: 0, toRestore: 0, bytesToRestore: 0, foldersToCreate: 0 };
  for (const folder of orderedFolders(plan)) {
    const target = live.livePath(folder.target);
    const exists = liveFolders.has(target);
    const split = exists ? splitByPresence(folder.messages, await live.presence(target, folder.messages)) : { present: [], missing: folder.messages };
    const entry: FolderPreview = {
      source: folder.source,
      target,
      exists,
      messages: folder.messages.length,
      bytes: folder.messages.reduce((sum, message) => sum + message.size, 0),
      alreadyPresent: split.present.length,
      bytesToRestore: split.missing.reduce((sum, message) => sum + message.size, 0),
    };
    preview.folders.push(entry);
    preview.messages += entry.messages;
    preview.bytes += entry.bytes;
    preview.alreadyPresent += entry.alreadyPresent;
    preview.toRestore += split.missing.length;
    preview.bytesToRestore += entry.bytesToRestore;
    if (!exists) preview.foldersToCreate += 1;
  }
  return preview;
}

export async function runRestore(
  live: LiveMailbox,
  store: Store,
  plan: RestorePlan,
  onProgress?: (progress: RestoreProgress) => void,
): Promise<RestoreResult> {
  const total = plan.folders.reduce((sum, folder) => sum + folder.messages.length, 0);
  const result: RestoreResult = { folders: [], restored: 0, alreadyPresent: 0, failed: 0, damaged: [] };
  /** The folder being worked on, until its outcome is added to the result. */
  const current: { outcome: FolderOutcome | null } = { outcome: null };
  try {
    return await restoreFolders(live, store, plan, { total, result, current, onProgress });
  } catch (error) {
    // What was done so far stays reported: the job record and the email tell the truth. A folder
    // listing or presence check cut off also counts as a lost connection, not a failure.
    if (current.outcome) addOutcome(result, current.outcome);
    throw new RestoreInterrupted(result, error, live.connected);
  }
}

async function restoreFolders(
  live: LiveMailbox,
  store: Store,
  plan: RestorePlan,
  { total, result, current, onProgress }: { total: number; result: RestoreResult; current: { outcome: FolderOutcome | null }; onProgress?: (progress: RestoreProgress) => void },
): Promise<RestoreResult> {
  let done = 0;
  const liveFolders: Map<string, LiveFolder> = await live.folders();
  for (const folder of orderedFolders(plan)) {
    const target = live.livePath(folder.target);
    const report = (): void => onProgress?.({ done, total, folder: folder.source });
    const created = await live.ensureFolder(target, liveFolders);
    const split = created ? { present: [], missing: folder.messages } : splitByPresence(folder.messages, await live.presence(target, folder.messages));
    const outcome: FolderOutcome = { source: folder.source, target, created, restored: 0, alreadyPresent: split.present.length, failed: 0, damaged: 0 };
    current.outcome = outcome;
    done += split.present.length;
    report();
    let next = 0;
    while (next < split.missing.length) {
      // Read a bounded batch from the store, so a large folder never sits in memory at once.
      const batch: PlannedMessage[] = [];
      let bytes = 0;
      while (next < split.missing.length && batch.length < READ_BATCH_MESSAGES && (batch.length === 0 || bytes + split.missing[next].size <= READ_BATCH_BYTES)) {
        bytes += split.missing[next].size;
        batch.push(split.missing[next++]);
      }
      const items: AppendItem[] = [];
      const readable: PlannedMessage[] = [];
      for (const message of batch) {
        try {
          // Checked whole against its SHA-256 name: a damaged message is never written to the live mailbox.
          const raw = await store.blobs.readAll(plan.account, message.blobHash, { checkHash: true });
          items.push({ raw, flags: message.flags, internalDate: message.internalDate });
          readable.push(message);
        } catch (error) {
          if (error instanceof BlobDamagedError) {
            outcome.damaged = (outcome.damaged ?? 0) + 1;
            result.damaged!.push({ folder: folder.source, uid: message.uid });
          } else outcome.failed += 1;
          done += 1;
        }
      }
      // Counted as the server confirms them, so an interruption mid-batch still reports them.
      const stored = await live.append(target, items, (count) => {
        outcome.restored += count;
        done += count;
        report();
      });
      for (const ok of stored) {
        if (!ok) {
          outcome.failed += 1;
          done += 1;
        }
      }
      report();
    }
    current.outcome = null;
    addOutcome(result, outcome);
  }
  return result;
}

function addOutcome(result: RestoreResult, outcome: FolderOutcome): void {
  result.folders.push(outcome);
  result.restored += outcome.restored;
  result.alreadyPresent += outcome.alreadyPresent;
  result.failed += outcome.failed;
}
