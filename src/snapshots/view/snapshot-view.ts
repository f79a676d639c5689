/**
 * What one authenticated session sees of the store (DESIGN §5): `Snapshots`, `Snapshots/<day>` and
 * the account's folders of each day below it — or, for a day-suffix login, that day's folders at
 * the top level. Every lookup is scoped to the session's account; there is no path from here to
 * another account's data, whatever name a client sends.
 */
import type { Readable } from 'node:stream';
import { RESTORE_MAILBOX, type MailboxInfo, type MessageRef, type OpenMailbox, type RestoreAnswer, type SnapshotView } from '../../proxy/ports.js';
import type { DayLabel } from '../day-label.js';
import type { MessageStructure } from '../mime/structure.js';
import type { FolderRecord } from '../store/catalog.js';
import type { Store } from '../store/store.js';

export const SNAPSHOTS_ROOT = 'Snapshots';
const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

interface DayFolders {
  day: DayLabel;
  seq: number;
  /** Folder path within the day → record. */
  folders: Map<string, FolderRecord>;
}

/** "inbox/x" and "INBOX/x" name the same folder (RFC 3501 §5.1: INBOX is case-insensitive). */
function canonicalInbox(path: string): string {
  const [first, ...rest] = path.split('/');
  return first.toUpperCase() === 'INBOX' ? ['INBOX', ...rest].join('/') : path;
}

/**
 * A message's flags in the order of the folder's FLAGS list — system flags first, then keywords —
 * as Dovecot answers them; the catalog keeps them sorted, which would put keywords before `\Seen`.
 */
function inFolderOrder(messageFlags: string[], folderRank: Map<string, number>): string[] {
  if (messageFlags.length < 2) return messageFlags;
  const rank = (flag: string): number => folderRank.get(flag) ?? folderRank.size;
  return [...messageFlags].sort((a, b) => rank(a) - rank(b));
}

function withParents(paths: Iterable<string>): Map<string, boolean> {
  const selectable = new Map<string, boolean>();
  for (const path of paths) {
    selectable.set(path, true);
    const segments = path.split('/');
    for (let depth = 1; depth < segments.length; depth++) {
      const parent = segments.slice(0, depth).join('/');
      if (!selectable.has(parent)) selectable.set(parent, false);
    }
  }
  return selectable;
}

/** Files a restore of snapshot messages; the recovery service in production. */
export type RestoreRequester = (request: { account: string; day: DayLabel; folder: string; uids: number[] }) => Promise<RestoreAnswer>;

function isRestoreMailbox(name: string): boolean {
  return name.toLowerCase() === RESTORE_MAILBOX.toLowerCase();
}

export class StoreSnapshotView implements SnapshotView {
  private readonly structures = new Map<string, MessageStructure>();

  constructor(
    private readonly store: Store,
    readonly account: string,
    /** A day-suffix session: only this day, its folders at the top level. */
    private readonly onlyDay: DayLabel | null,
    private readonly restore: RestoreRequester | null = null,
  ) {}

  private async days(): Promise<{ day: DayLabel; seq: number }[]> {
    const all = await this.store.catalog.days(this.account);
    return all.filter((day) => this.onlyDay === null || day.day === this.onlyDay).map(({ day, seq }) => ({ day, seq }));
  }

  private async dayFolders(day: DayLabel, seq: number): Promise<DayFolders> {
    const folders = new Map<string, FolderRecord>();
    for (const folder of await this.store.catalog.folders(this.account, seq)) folders.set(canonicalInbox(folder.name), folder);
    return { day, seq, folders };
  }

  async listMailboxes(): Promise<MailboxInfo[]> {
    const entries = new Map<string, boolean>();
    const days = await this.days();
    if (this.onlyDay === null) entries.set(SNAPSHOTS_ROOT, false);
    for (const { day, seq } of days) {
      const prefix = this.onlyDay === null ? `${SNAPSHOTS_ROOT}/${day}/` : '';
      if (this.onlyDay === null) entries.set(`${SNAPSHOTS_ROOT}/${day}`, false);
      for (const [path, selectable] of withParents((await this.dayFolders(day, seq)).folders.keys())) {
        entries.set(`${prefix}${path}`, selectable);
      }
    }
    // In a day session a live folder may itself be called "Restore"; the folder wins there.
    if (this.restore && !entries.has(RESTORE_MAILBOX)) entries.set(RESTORE_MAILBOX, true);
    const names = [...entries.keys()];
    return names.map((name) => ({
      name,
      selectable: entries.get(name)!,
      hasChildren: names.some((other) => other.startsWith(`${name}/`)),
    }));
  }

  /** Splits a mailbox name into day + folder path, or null when it can't name a snapshot folder. */
  private locate(name: string): { day: DayLabel; path: string } | null {
    if (this.onlyDay !== null) return { day: this.onlyDay, path: canonicalInbox(name) };
    const segments = name.split('/');
    if (segments.length < 3 || segments[0] !== SNAPSHOTS_ROOT) return null;
    return { day: segments[1], path: canonicalInbox(segments.slice(2).join('/')) };
  }

  async openMailbox(name: string): Promise<OpenMailbox | null> {
    const snapshotFolder = await this.openSnapshotFolder(name);
    if (snapshotFolder || !this.restore || !isRestoreMailbox(name)) return snapshotFolder;
    // `Restore` always looks empty: what is copied there becomes a request, not a message.
    return this.openFolder(RESTORE_MAILBOX, { name: RESTORE_MAILBOX, delimiter: '/', uidValidity: 1, uidNext: 1, highestModseq: 1, subscribed: true, specialUse: null, messages: 0, bytes: 0 }, [], SYSTEM_FLAGS);
  }

  async requestRestore(mailboxName: string, uids: number[]): Promise<RestoreAnswer | null> {
    if (!this.restore) return null;
    const where = this.locate(mailboxName);
    if (!where) return null;
    const day = (await this.days()).find((candidate) => candidate.day === where.day);
    const folder = day ? (await this.dayFolders(day.day, day.seq)).folders.get(where.path) : undefined;
    if (!day || !folder) return null;
    return this.restore({ account: this.account, day: day.day, folder: folder.name, uids });
  }

  private async openSnapshotFolder(name: string): Promise<OpenMailbox | null> {
    const where = this.locate(name);
    if (!where) return null;
    const day = (await this.days()).find((candidate) => candidate.day === where.day);
    if (!day) return null;
    const folder = (await this.dayFolders(day.day, day.seq)).folders.get(where.path);
    if (!folder) return null;
    const records = await this.store.catalog.messages(this.account, day.seq, folder.name, folder.uidValidity);
    const keywords = new Set<string>();
    for (const record of records) for (const flag of record.flags) if (!flag.startsWith('\\')) keywords.add(flag);
    const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
    const rank = new Map(flags.map((flag, index) => [flag, index]));
    const messages: MessageRef[] = records.map((record) => ({ ...record, flags: inFolderOrder(record.flags, rank) }));
    return this.openFolder(name, folder, messages, flags);
  }

  private openFolder(name: string, folder: FolderRecord, messages: MessageRef[], flags: string[]): OpenMailbox {
    const { store, account, structures } = this;
    return {
      name,
      uidValidity: folder.uidValidity,
      uidNext: Math.max(folder.uidNext, (messages[messages.length - 1]?.uid ?? 0) + 1),
      highestModseq: folder.highestModseq ?? 1,
      flags,
      messages,
      async structure(message: MessageRef): Promise<MessageStructure> {
        const cached = structures.get(message.blobHash);
        if (cached) return cached;
        const structure = await store.catalog.blobStructure(account, message.blobHash);
        if (!structure) throw new Error(`no structure recorded for blob ${message.blobHash}`);
        if (structures.size > 5000) structures.clear();
        structures.set(message.blobHash, structure);
        return structure;
      },
      read(message: MessageRef, start?: number, end?: number): Readable {
        return store.blobs.read(account, message.blobHash, start, end);
      },
      readAll(message: MessageRef): Promise<Buffer> {
        return store.blobs.readAll(account, message.blobHash);
      },
    };
  }
}

/** The LoginService's view factory: null when the account has nothing to show for that login. */
export function snapshotViewFactory(store: Store, restore: RestoreRequester | null = null) {
  return async (account: string, day: DayLabel | null): Promise<SnapshotView | null> => {
    const days = await store.catalog.days(account);
    if (days.length === 0) return null;
    if (day !== null && !days.some((candidate) => candidate.day === day)) return null;
    return new StoreSnapshotView(store, account, day, restore);
  };
}
