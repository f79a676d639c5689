/** Looking up one folder of one day's snapshot, and a UID set within it (for the CLI and the HTTP API). */
import { parseSequenceSet, selectFromSorted } from '../proxy/protocol/sequence-set.js';
import type { DayLabel } from '../snapshots/day-label.js';
import type { FolderRecord, MessageRecord } from '../snapshots/store/catalog.js';
import type { Store } from '../snapshots/store/store.js';

export interface SnapshotFolder {
  seq: number;
  folder: FolderRecord;
  messages: MessageRecord[];
}

export async function openSnapshotFolder(store: Store, account: string, day: DayLabel, name: string): Promise<SnapshotFolder> {
  const seq = await store.catalog.captureForDay(account, day);
  if (seq === null) throw new Error(`no snapshot of ${account} for ${day} (see: mtm list --account ${account})`);
  const folder = (await store.catalog.folders(account, seq)).find((candidate) => candidate.name === name);
  if (!folder) throw new Error(`no folder "${name}" in ${account}'s snapshot of ${day} (see: mtm list --account ${account} --day ${day})`);
  const messages = await store.catalog.messages(account, seq, folder.name, folder.uidValidity);
  return { seq, folder, messages };
}

/**
 * UIDs of a set like `3,7:9,12:*`. Ranges select the UIDs that exist; a single UID is kept even when
 * absent, so that whoever uses the list can say which message is missing.
 */
export function resolveUidSet(text: string, existing: readonly number[]): number[] {
  const set = parseSequenceSet(text.trim());
  if (!set) throw new Error(`"${text}" is not a UID set (examples: 42, 1:10, 3,7,9:*)`);
  const sorted = [...existing].sort((a, b) => a - b);
  const chosen = new Set(selectFromSorted(set, sorted));
  for (const range of set) if (range.from !== null && range.from === range.to) chosen.add(range.from);
  return [...chosen].sort((a, b) => a - b);
}
