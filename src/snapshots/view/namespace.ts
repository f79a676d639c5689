/**
 * The virtual namespace one session sees (DESIGN §5): `Snapshots`, `Snapshots/<day>` and each day's
 * folders below it — or, for a day-suffix login, that day's folders at the top level — plus the
 * `Restore` and `Trash` mailboxes that are not snapshot folders. Names only: what a folder holds is
 * found through the snapshot walk.
 */
import { RESTORE_MAILBOX, type MailboxInfo } from '../../proxy/ports.js';
import { isDayLabel, type DayLabel } from '../day-label.js';
import { FOLDER_DELIMITER } from '../walk/index.js';
import { GUIDE_MAILBOX } from './guide-inbox.js';

export const SNAPSHOTS_ROOT = 'Snapshots';

/**
 * Thunderbird (default delete model "move to Trash") ends folder discovery with `LIST "" "Trash"`
 * and, when that is empty, `CREATE "Trash"` — a NO on every first contact. So every view lists an
 * always-empty, read-only `Trash` at the top level unless the day has a folder of that name.
 * It is not a snapshot folder and carries no special-use attribute (DESIGN §5).
 */
export const TRASH_PLACEHOLDER = 'Trash';

export function isRestoreMailbox(name: string): boolean {
  return name.toLowerCase() === RESTORE_MAILBOX.toLowerCase();
}

/**
 * Splits a mailbox name into day + folder path, or null when it can't name a snapshot folder (not
 * under `Snapshots/<day>/`, or the day is not a calendar date). The path is as the client wrote it;
 * the walk finds the folder whatever the case of INBOX.
 */
export function locateSnapshotFolder(name: string, onlyDay: DayLabel | null): { day: DayLabel; path: string } | null {
  if (onlyDay !== null) return { day: onlyDay, path: name };
  const segments = name.split(FOLDER_DELIMITER);
  if (segments.length < 3 || segments[0] !== SNAPSHOTS_ROOT || !isDayLabel(segments[1])) return null;
  return { day: segments[1], path: segments.slice(2).join(FOLDER_DELIMITER) };
}

export interface NamespaceDay {
  day: DayLabel;
  /** The day's folder tree: canonical path → selectable (parents that are not folders: false). */
  tree: Map<string, boolean>;
}

/** Every mailbox of the session, in the order LIST shows them when nothing sorts them. */
export function namespaceMailboxes(days: NamespaceDay[], onlyDay: DayLabel | null, withRestore: boolean): MailboxInfo[] {
  const entries = new Map<string, boolean>();
  // The all-days view's INBOX holds only the guide message (guide-inbox.ts): clients open INBOX first.
  if (onlyDay === null) entries.set(GUIDE_MAILBOX, true);
  if (onlyDay === null) entries.set(SNAPSHOTS_ROOT, false);
  for (const { day, tree } of days) {
    const prefix = onlyDay === null ? `${SNAPSHOTS_ROOT}/${day}/` : '';
    if (onlyDay === null) entries.set(`${SNAPSHOTS_ROOT}/${day}`, false);
    for (const [path, selectable] of tree) entries.set(`${prefix}${path}`, selectable);
  }
  // In a day session a live folder may itself be called "Restore" or "Trash"; the folder wins there.
  if (withRestore && !entries.has(RESTORE_MAILBOX)) entries.set(RESTORE_MAILBOX, true);
  if (!entries.has(TRASH_PLACEHOLDER)) entries.set(TRASH_PLACEHOLDER, true);
  const names = [...entries.keys()];
  return names.map((name) => ({
    name,
    selectable: entries.get(name)!,
    hasChildren: names.some((other) => other.startsWith(`${name}/`)),
  }));
}
