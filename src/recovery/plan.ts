/**
 * Turns a restore request into a plan: the snapshot folders in scope and their messages, with what
 * the restore needs to recognise a message already in the live mailbox (message-identity.ts).
 * Reads the store only; a request that names something the snapshot does not hold is refused here.
 */
import type { DayLabel } from '../snapshots/day-label.js';
import type { FolderRecord } from '../snapshots/store/catalog.js';
import type { Store } from '../snapshots/store/store.js';
import { SnapshotWalk, SnapshotWalkError, type CaptureFolders, type SnapshotCapture } from '../snapshots/walk/index.js';
import { plannedIdentity, type PlannedIdentity } from './message-identity.js';
import { RESTORED_ROOT, type RestoreMode, type RestoreScope } from './request.js';

/** Bytes read from the start of a blob whose header block the catalog did not record. */
const HEADER_PROBE_BYTES = 256 * 1024;

export interface PlannedMessage {
  uid: number;
  blobHash: string;
  /** RFC822.SIZE as the live server reported it at snapshot time. */
  size: number;
  flags: string[];
  internalDate: Date;
  /** How the live side recognises this message (the one definition, message-identity.ts). */
  identity: PlannedIdentity;
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

export function targetFolder(mode: RestoreMode, day: DayLabel, source: string): string {
  return mode === 'separate' ? `${RESTORED_ROOT}/${day}/${source}` : source;
}

function foldersInScope(walk: SnapshotWalk, capture: SnapshotCapture, folders: CaptureFolders, scope: RestoreScope): readonly FolderRecord[] {
  if (scope.kind === 'account') return folders.records;
  const folder = walk.folderIn(capture, folders, scope.folder);
  if (scope.kind === 'folder' && scope.subfolders) return folders.within(folder.name);
  return [folder];
}

export async function planRestore(store: Store, account: string, day: DayLabel, scope: RestoreScope, mode: RestoreMode): Promise<RestorePlan> {
  const walk = new SnapshotWalk(store.catalog, account);
  let capture: SnapshotCapture;
  let folders: readonly FolderRecord[];
  try {
    capture = await walk.capture(day);
    folders = foldersInScope(walk, capture, await walk.folders(capture), scope);
  } catch (error) {
    // The walk's words, so a restore refuses a day or folder exactly as list and export do.
    if (error instanceof SnapshotWalkError) throw new PlanError(error.message);
    throw error;
  }
  const planned: PlannedFolder[] = [];
  for (const folder of folders) {
    let records = await walk.messages(capture, folder);
    if (scope.kind === 'messages') {
      const wanted = new Set(scope.uids);
      records = records.filter((record) => wanted.has(record.uid));
      const found = new Set(records.map((record) => record.uid));
      const missing = scope.uids.filter((uid) => !found.has(uid));
      if (missing.length > 0) {
        throw new PlanError(`folder "${folder.name}" of ${day} has no message with UID ${missing.slice(0, 10).join(', ')}${missing.length > 10 ? ', …' : ''}`);
      }
    }
    const headers = await headerBlocks(store, account, records.map((record) => record.blobHash));
    const messages: PlannedMessage[] = records.map((record) => ({
      uid: record.uid,
      blobHash: record.blobHash,
      size: record.size,
      flags: restorableFlags(record.flags),
      internalDate: record.internalDate,
      identity: plannedIdentity(headers.get(record.blobHash)!, record.size, record.blobHash),
    }));
    planned.push({ source: folder.name, target: targetFolder(mode, day, folder.name), subscribed: folder.subscribed, messages });
  }
  return { account, day, mode, folders: planned };
}

/** The raw header block of every blob: from the catalog in one query, else read from the blob. */
async function headerBlocks(store: Store, account: string, hashes: string[]): Promise<Map<string, Buffer>> {
  const headers = await store.catalog.blobHeaders(account, [...new Set(hashes)]);
  for (const hash of hashes) {
    if (headers.has(hash)) continue;
    // The analyser's header length bounds the read when known; the parser stops at the blank line anyway.
    const length = (await store.catalog.blobStructure(account, hash))?.headerLength ?? HEADER_PROBE_BYTES;
    headers.set(hash, await store.blobs.readRange(account, hash, 0, length));
  }
  return headers;
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
