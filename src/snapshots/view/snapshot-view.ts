/**
 * What one authenticated session sees of the store (DESIGN §5), put together from the namespace
 * (namespace.ts), the snapshot walk (../walk) and opened folders (opened-folder.ts). Every lookup
 * is scoped to the session's account; there is no path from here to another account's data,
 * whatever name a client sends.
 */
import { RESTORE_MAILBOX, type MailboxInfo, type OpenMailbox, type RestoreAnswer, type SnapshotView } from '../../proxy/ports.js';
import type { DayLabel } from '../day-label.js';
import type { FolderRecord } from '../store/catalog.js';
import type { Store } from '../store/store.js';
import { SnapshotWalk, type CaptureFolders, type SnapshotCapture } from '../walk/index.js';
import { isGuideMailbox, openGuideInbox } from './guide-inbox.js';
import { isRestoreMailbox, locateSnapshotFolder, namespaceMailboxes, SNAPSHOTS_ROOT, TRASH_PLACEHOLDER } from './namespace.js';
import { emptyFolderRecord, folderContent, MessageReader, SYSTEM_FLAGS } from './opened-folder.js';
import { cacheKey, servingCacheFor, type ServingCache } from './serving-cache.js';

export { SNAPSHOTS_ROOT, TRASH_PLACEHOLDER } from './namespace.js';

/** Files a restore of snapshot messages; the recovery service in production. */
export type RestoreRequester = (request: { account: string; day: DayLabel; folder: string; uids: number[] }) => Promise<RestoreAnswer>;

export interface ViewOptions {
  /** `server.daySeparator`, for the guide message's example day login; '#' when not given. */
  daySeparator?: string;
}

export class StoreSnapshotView implements SnapshotView {
  private readonly cache: ServingCache;
  private readonly walk: SnapshotWalk;
  private readonly reader: MessageReader;

  constructor(
    private readonly store: Store,
    readonly account: string,
    /** A day-suffix session: only this day, its folders at the top level. */
    private readonly onlyDay: DayLabel | null,
    private readonly restore: RestoreRequester | null = null,
    private readonly options: ViewOptions = {},
  ) {
    this.cache = servingCacheFor(store);
    this.walk = new SnapshotWalk(store.catalog, account);
    this.reader = new MessageReader(store, account, this.cache);
  }

  /** A committed capture's folders never change: kept across sessions of the same store. */
  private async foldersOf(capture: SnapshotCapture): Promise<CaptureFolders> {
    const key = cacheKey(this.account, capture.seq);
    let folders = this.cache.captureFolders.get(key);
    if (!folders) {
      folders = await this.walk.folders(capture);
      this.cache.captureFolders.set(key, folders);
    }
    return folders;
  }

  async listMailboxes(): Promise<MailboxInfo[]> {
    const captures = (await this.walk.captures()).filter((capture) => this.onlyDay === null || capture.day === this.onlyDay);
    const days = [];
    for (const capture of captures) days.push({ day: capture.day, tree: (await this.foldersOf(capture)).tree() });
    return namespaceMailboxes(days, this.onlyDay, this.restore !== null);
  }

  /** The snapshot folder a mailbox name names, or null (not a day this session sees, no such folder). */
  private async findFolder(name: string): Promise<{ capture: SnapshotCapture; folder: FolderRecord } | null> {
    const where = locateSnapshotFolder(name, this.onlyDay);
    if (!where || (this.onlyDay !== null && where.day !== this.onlyDay)) return null;
    const capture = await this.walk.findCapture(where.day);
    if (!capture) return null;
    const folder = (await this.foldersOf(capture)).get(where.path);
    return folder ? { capture, folder } : null;
  }

  async openMailbox(name: string): Promise<OpenMailbox | null> {
    if (this.onlyDay === null && isGuideMailbox(name)) {
      return openGuideInbox(name, {
        account: this.account,
        daySeparator: this.options.daySeparator ?? '#',
        restoreMailbox: this.restore !== null,
        snapshotsRoot: SNAPSHOTS_ROOT,
      });
    }
    const snapshotFolder = await this.openSnapshotFolder(name);
    if (snapshotFolder) return snapshotFolder;
    if (name === TRASH_PLACEHOLDER) return this.reader.open(TRASH_PLACEHOLDER, emptyFolderRecord(TRASH_PLACEHOLDER), [], SYSTEM_FLAGS);
    if (!this.restore || !isRestoreMailbox(name)) return null;
    // `Restore` always looks empty: what is copied there becomes a request, not a message.
    return this.reader.open(RESTORE_MAILBOX, emptyFolderRecord(RESTORE_MAILBOX), [], SYSTEM_FLAGS);
  }

  async requestRestore(mailboxName: string, uids: number[]): Promise<RestoreAnswer | null> {
    if (!this.restore) return null;
    const found = await this.findFolder(mailboxName);
    if (!found) return null;
    return this.restore({ account: this.account, day: found.capture.day, folder: found.folder.name, uids });
  }

  private async openSnapshotFolder(name: string): Promise<OpenMailbox | null> {
    const found = await this.findFolder(name);
    if (!found) return null;
    const { capture, folder } = found;
    const key = cacheKey(this.account, capture.seq, folder.name, folder.uidValidity);
    let content = this.cache.folders.get(key);
    if (!content) {
      content = folderContent(await this.walk.messages(capture, folder));
      this.cache.folders.set(key, content);
    }
    return this.reader.open(name, folder, content.messages, content.flags);
  }
}

/** The LoginService's view factory: null when the account has nothing to show for that login. */
export function snapshotViewFactory(store: Store, restore: RestoreRequester | null = null, options: ViewOptions = {}) {
  return async (account: string, day: DayLabel | null): Promise<SnapshotView | null> => {
    const days = await store.catalog.days(account);
    if (days.length === 0) return null;
    if (day !== null && !days.some((candidate) => candidate.day === day)) return null;
    return new StoreSnapshotView(store, account, day, restore, options);
  };
}
