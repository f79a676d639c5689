/**
 * Turns a restore request into a plan: the snapshot folders in scope and their messages, with what
 * the restore needs to recognise a message already in the live mailbox (Message-ID, size, SHA-256).
 * Reads the store only; a request that names something the snapshot does not hold is refused here.
 */
import type { DayLabel } from '../snapshots/day-label.js';
import type { FolderRecord } from '../snapshots/store/catalog.js';
import type { Store } from '../snapshots/store/store.js';
import { RESTORED_ROOT, type RestoreMode, type RestoreScope } from './request.js';

export interface PlannedMessage {
  uid: number;
  blobHash: string;
  /** RFC822.SIZE as the live server reported it at snapshot time. */
  size: number;
  flags: string[];
  internalDate: Date;
  messageId: string | null;
}

export interface PlannedFolder {
  /** Snapshot folder name ("/"-separated, UTF-8). */
  source: string;
  /** Where it goes, "/"-separated; turned into a live path with the live server's delimiter. */
  target: string;
  subscribed: boolean;
  messages: PlannedMessage[];
}

export interface RestorePlan {
  account: string;
  day: DayLabel;
  mode: RestoreMode;
  folders: PlannedFolder[];
}

export class PlanError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlanError';
  }
}

/** Flags a restored message must not carry: \Recent is the server's, \Deleted would be expunged again. */
const DROPPED_FLAGS = new Set(['\\recent', '\\deleted']);

export function restorableFlags(flags: string[]): string[] {
  return flags.filter((flag) => !DROPPED_FLAGS.has(flag.toLowerCase()));
}

/** One form for a Message-ID so that folding and spacing do not hide a match. */
export function normalizeMessageId(value: string | null | undefined): string | null {
  if (!value) return null;
  const bracketed = /<[^>]*>/.exec(value.replace(/\s+/g, ''));
  const id = bracketed ? bracketed[0] : value.replace(/\s+/g, ' ').trim();
  return id && id !== '<>' ? id : null;
}

export function targetFolder(mode: RestoreMode, day: DayLabel, source: string): string {
  return mode === 'separate' ? `${RESTORED_ROOT}/${day}/${source}` : source;
}

function foldersInScope(folders: FolderRecord[], scope: RestoreScope): FolderRecord[] {
  if (scope.kind === 'account') return folders;
  const folder = folders.find((candidate) => candidate.name === scope.folder);
  if (!folder) throw new PlanError(`there is no folder "${scope.folder}" in this snapshot`);
  if (scope.kind === 'folder' && scope.subfolders) {
    return folders.filter((candidate) => candidate.name === scope.folder || candidate.name.startsWith(`${scope.folder}/`));
  }
  return [folder];
}

export async function planRestore(store: Store, account: string, day: DayLabel, scope: RestoreScope, mode: RestoreMode): Promise<RestorePlan> {
  const seq = await store.catalog.captureForDay(account, day);
  if (seq === null) throw new PlanError(`there is no snapshot of ${account} for ${day}`);
  const folders = foldersInScope(await store.catalog.folders(account, seq), scope);
  const planned: PlannedFolder[] = [];
  for (const folder of folders) {
    let records = await store.catalog.messages(account, seq, folder.name, folder.uidValidity);
    if (scope.kind === 'messages') {
      const wanted = new Set(scope.uids);
      records = records.filter((record) => wanted.has(record.uid));
      const found = new Set(records.map((record) => record.uid));
      const missing = scope.uids.filter((uid) => !found.has(uid));
      if (missing.length > 0) {
        throw new PlanError(`folder "${folder.name}" of ${day} has no message with UID ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      }
    }
    const messages: PlannedMessage[] = [];
    for (const record of records) {
      const structure = await store.catalog.blobStructure(account, record.blobHash);
      messages.push({
        uid: record.uid,
        blobHash: record.blobHash,
        size: record.size,
        flags: restorableFlags(record.flags),
        internalDate: record.internalDate,
        messageId: normalizeMessageId(structure?.root.envelope?.messageId),
      });
    }
    planned.push({ source: folder.name, target: targetFolder(mode, day, folder.name), subscribed: folder.subscribed, messages });
  }
  return { account, day, mode, folders: planned };
}

export function planTotals(plan: RestorePlan): { folders: number; messages: number; bytes: number } {
  let messages = 0;
  let bytes = 0;
  for (const folder of plan.folders) {
    messages += folder.messages.length;
    for (const message of folder.messages) bytes += message.size;
  }
  return { folders: plan.folders.length, messages, bytes };
}
