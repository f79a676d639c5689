/**
 * What one authenticated session sees of the store (DESIGN §5): `Snapshots`, `Snapshots/<day>` and
 * the account's folders of each day below it — or, for a day-suffix login, that day's folders at
 * the top level. Every lookup is scoped to the session's account; there is no path from here to
 * another account's data, whatever name a client sends.
 */
import { Readable } from 'node:stream';
import { RESTORE_MAILBOX, type MailboxInfo, type MessageRef, type OpenMailbox, type RestoreAnswer, type SnapshotView } from '../../proxy/ports.js';
import type { DayLabel } from '../day-label.js';
import { GUIDE_MAILBOX, isGuideMailbox, openGuideInbox } from './guide-inbox.js';
import { STRUCTURE_VERSION, type MessageStructure } from '../../mail/structure.js';
import { analyzeMessage } from '../../mail/analyze.js';
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

/** A Map that forgets its least recently used entries once their total weight exceeds the budget. */
class Lru<V> {
  private readonly entries = new Map<string, { value: V; weight: number }>();
  private weight = 0;

  constructor(
    private readonly budget: number,
    private readonly weigh: (value: V) => number,
  ) {}

  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    this.entries.set(key, entry);
    return entry.value;
  }

  set(key: string, value: V): void {
    const weight = this.weigh(value);
    if (weight > this.budget) return;
    const old = this.entries.get(key);
    if (old) {
      this.entries.delete(key);
      this.weight -= old.weight;
    }
    this.entries.set(key, { value, weight });
    this.weight += weight;
    for (const [oldest, entry] of this.entries) {
      if (this.weight <= this.budget) break;
      this.entries.delete(oldest);
      this.weight -= entry.weight;
    }
  }
}

/** An opened folder's content; a committed capture never changes, so it is kept across SELECTs and sessions. */
interface FolderContent {
  messages: MessageRef[];
  flags: string[];
}

/** Messages up to this size are read whole (one small file) and kept briefly for the next section. */
const SMALL_MESSAGE = 256 * 1024;

/**
 * What the views of one store share. Keys always start with the account, so a session can only
 * hit entries of its own account; days are never cached (a snapshot may be committed any time),
 * but everything under a committed capture's seq is immutable.
 */
class ServingCache {
  readonly dayFolders = new Lru<Map<string, FolderRecord>>(256, () => 1);
  readonly folders = new Lru<FolderContent>(300_000, (content) => 1 + content.messages.length);
  readonly structures = new Lru<MessageStructure>(10_000, () => 1);
  readonly headers = new Lru<Buffer>(32 * 1024 * 1024, (header) => header.length + 64);
  readonly messages = new Lru<Buffer>(4 * 1024 * 1024, (raw) => raw.length + 64);
}

const caches = new WeakMap<Store, ServingCache>();

function cacheFor(store: Store): ServingCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new ServingCache()));
  return cache;
}

const key = (...parts: (string | number)[]): string => parts.join('\0');

/** Files a restore of snapshot messages; the recovery service in production. */
export type RestoreRequester = (request: { account: string; day: DayLabel; folder: string; uids: number[] }) => Promise<RestoreAnswer>;

function isRestoreMailbox(name: string): boolean {
  return name.toLowerCase() === RESTORE_MAILBOX.toLowerCase();
}

/**
 * Thunderbird (default delete model "move to Trash") ends folder discovery with `LIST "" "Trash"`
 * and, when that is empty, `CREATE "Trash"` — a NO on every first contact. So every view lists an
 * always-empty, read-only `Trash` at the top level unless the day has a folder of that name.
 * It is not a snapshot folder and carries no special-use attribute (DESIGN §5).
 */
export const TRASH_PLACEHOLDER = 'Trash';

function emptyFolderRecord(name: string): FolderRecord {
  return { name, delimiter: '/', uidValidity: 1, uidNext: 1, highestModseq: 1, subscribed: true, specialUse: null, messages: 0, bytes: 0 };
}

export interface ViewOptions {
  /** `server.daySeparator`, for the guide message's example day login; '#' when not given. */
  daySeparator?: string;
}

export class StoreSnapshotView implements SnapshotView {
  private readonly cache: ServingCache;

  constructor(
    private readonly store: Store,
    readonly account: string,
    /** A day-suffix session: only this day, its folders at the top level. */
    private readonly onlyDay: DayLabel | null,
    private readonly restore: RestoreRequester | null = null,
    private readonly options: ViewOptions = {},
  ) {
    this.cache = cacheFor(store);
  }

  private async days(): Promise<{ day: DayLabel; seq: number }[]> {
    const all = await this.store.catalog.days(this.account);
    return all.filter((day) => this.onlyDay === null || day.day === this.onlyDay).map(({ day, seq }) => ({ day, seq }));
  }

  private async dayFolders(day: DayLabel, seq: number): Promise<DayFolders> {
    const cacheKey = key(this.account, seq);
    let folders = this.cache.dayFolders.get(cacheKey);
    if (!folders) {
      folders = new Map<string, FolderRecord>();
      for (const folder of await this.store.catalog.folders(this.account, seq)) folders.set(canonicalInbox(folder.name), folder);
      this.cache.dayFolders.set(cacheKey, folders);
    }
    return { day, seq, folders };
  }

  /** The committed capture of a day this session may see (cheaper than listing every day's totals). */
  private async dayOf(day: DayLabel): Promise<{ day: DayLabel; seq: number } | null> {
    if (this.onlyDay !== null && day !== this.onlyDay) return null;
    const seq = await this.store.catalog.captureForDay(this.account, day);
    return seq === null ? null : { day, seq };
  }

  async listMailboxes(): Promise<MailboxInfo[]> {
    const entries = new Map<string, boolean>();
    const days = await this.days();
    // The all-days view's INBOX holds only the guide message (guide-inbox.ts): clients open INBOX first.
    if (this.onlyDay === null) entries.set(GUIDE_MAILBOX, true);
    if (this.onlyDay === null) entries.set(SNAPSHOTS_ROOT, false);
    for (const { day, seq } of days) {
      const prefix = this.onlyDay === null ? `${SNAPSHOTS_ROOT}/${day}/` : '';
      if (this.onlyDay === null) entries.set(`${SNAPSHOTS_ROOT}/${day}`, false);
      for (const [path, selectable] of withParents((await this.dayFolders(day, seq)).folders.keys())) {
        entries.set(`${prefix}${path}`, selectable);
      }
    }
    // In a day session a live folder may itself be called "Restore" or "Trash"; the folder wins there.
    if (this.restore && !entries.has(RESTORE_MAILBOX)) entries.set(RESTORE_MAILBOX, true);
    if (!entries.has(TRASH_PLACEHOLDER)) entries.set(TRASH_PLACEHOLDER, true);
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
    if (name === TRASH_PLACEHOLDER) return this.openFolder(TRASH_PLACEHOLDER, emptyFolderRecord(TRASH_PLACEHOLDER), [], SYSTEM_FLAGS);
    if (!this.restore || !isRestoreMailbox(name)) return null;
    // `Restore` always looks empty: what is copied there becomes a request, not a message.
    return this.openFolder(RESTORE_MAILBOX, emptyFolderRecord(RESTORE_MAILBOX), [], SYSTEM_FLAGS);
  }

  async requestRestore(mailboxName: string, uids: number[]): Promise<RestoreAnswer | null> {
    if (!this.restore) return null;
    const where = this.locate(mailboxName);
    if (!where) return null;
    const day = await this.dayOf(where.day);
    const folder = day ? (await this.dayFolders(day.day, day.seq)).folders.get(where.path) : undefined;
    if (!day || !folder) return null;
    return this.restore({ account: this.account, day: day.day, folder: folder.name, uids });
  }

  private async openSnapshotFolder(name: string): Promise<OpenMailbox | null> {
    const where = this.locate(name);
    if (!where) return null;
    const day = await this.dayOf(where.day);
    if (!day) return null;
    const folder = (await this.dayFolders(day.day, day.seq)).folders.get(where.path);
    if (!folder) return null;
    const cacheKey = key(this.account, day.seq, folder.name, folder.uidValidity);
    let content = this.cache.folders.get(cacheKey);
    if (!content) {
      const records = await this.store.catalog.messages(this.account, day.seq, folder.name, folder.uidValidity);
      const keywords = new Set<string>();
      for (const record of records) for (const flag of record.flags) if (!flag.startsWith('\\')) keywords.add(flag);
      const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
      const rank = new Map(flags.map((flag, index) => [flag, index]));
      const messages: MessageRef[] = records.map((record) => ({ ...record, flags: inFolderOrder(record.flags, rank) }));
      content = { messages, flags };
      this.cache.folders.set(cacheKey, content);
    }
    return this.openFolder(name, folder, content.messages, content.flags);
  }

  private async structureOf(message: MessageRef): Promise<MessageStructure> {
    const cacheKey = key(this.account, message.blobHash);
    const cached = this.cache.structures.get(cacheKey);
    if (cached) return cached;
    let structure = await this.store.catalog.blobStructure(this.account, message.blobHash);
    if (!structure) throw new Error(`no structure recorded for blob ${message.blobHash}`);
    // Written by an older analyzer that answered some mail differently from Dovecot: derive it anew
    // from the (verified) blob rather than serve a structure known to be wrong for some messages.
    if (structure.version !== STRUCTURE_VERSION) structure = await analyzeMessage(this.store.blobs.read(this.account, message.blobHash));
    this.cache.structures.set(cacheKey, structure);
    return structure;
  }

  /** The header block: recorded in the catalog at ingest, else cut from the blob. */
  private async headerOf(message: MessageRef): Promise<Buffer> {
    return (await this.headersOf([message]))[0];
  }

  /** Header blocks of many messages: cached ones, then one catalog query for the rest. */
  private async headersOf(messages: MessageRef[]): Promise<Buffer[]> {
    const headers: (Buffer | undefined)[] = messages.map((message) => this.cache.headers.get(key(this.account, message.blobHash)));
    const missing = messages.filter((_, index) => headers[index] === undefined).map((message) => message.blobHash);
    if (missing.length === 0) return headers as Buffer[];
    const recorded = await this.store.catalog.blobHeaders(this.account, missing);
    for (const [index, message] of messages.entries()) {
      if (headers[index] !== undefined) continue;
      const cacheKey = key(this.account, message.blobHash);
      let header = recorded.get(message.blobHash);
      if (!header) {
        // A blob stored before the catalog kept header blocks.
        const { headerLength } = await this.structureOf(message);
        const whole = this.cache.messages.get(cacheKey);
        // A copy, so the cached header does not keep the whole inflated message alive.
        header = Buffer.from(whole ? whole.subarray(0, headerLength) : await this.store.blobs.readRange(this.account, message.blobHash, 0, headerLength));
      }
      this.cache.headers.set(cacheKey, header);
      headers[index] = header;
    }
    return headers as Buffer[];
  }

  /** A small message whole, inflated once for the several sections one FETCH may ask of it. */
  private async wholeOf(message: MessageRef): Promise<Buffer> {
    const cacheKey = key(this.account, message.blobHash);
    const cached = this.cache.messages.get(cacheKey);
    if (cached) return cached;
    const raw = await this.store.blobs.readAll(this.account, message.blobHash);
    if (raw.length <= SMALL_MESSAGE) this.cache.messages.set(cacheKey, raw);
    return raw;
  }

  private async range(message: MessageRef, start: number, end: number | undefined): Promise<Buffer> {
    const structure = this.cache.structures.get(key(this.account, message.blobHash));
    if (structure && end !== undefined && end <= structure.headerLength) return (await this.headerOf(message)).subarray(start, end);
    const whole = await this.wholeOf(message);
    return whole.subarray(Math.min(start, whole.length), end === undefined ? whole.length : Math.min(end, whole.length));
  }

  private openFolder(name: string, folder: FolderRecord, messages: MessageRef[], flags: string[]): OpenMailbox {
    const { store, account } = this;
    return {
      name,
      uidValidity: folder.uidValidity,
      uidNext: Math.max(folder.uidNext, (messages[messages.length - 1]?.uid ?? 0) + 1),
      highestModseq: folder.highestModseq ?? 1,
      flags,
      messages,
      structure: (message) => this.structureOf(message),
      readHeader: (message) => this.headerOf(message),
      readHeaders: (list) => this.headersOf(list),
      read: (message: MessageRef, start = 0, end?: number): Readable => {
        // Big messages stream chunk by chunk; small ones come from one read of their file.
        if (message.size > SMALL_MESSAGE) return store.blobs.read(account, message.blobHash, start, end);
        const range = (): Promise<Buffer> => this.range(message, start, end);
        return Readable.from((async function* () {
          const bytes = await range();
          if (bytes.length > 0) yield bytes;
        })(), { objectMode: false });
      },
      readAll: (message) => (message.size > SMALL_MESSAGE ? store.blobs.readAll(account, message.blobHash) : this.wholeOf(message)),
      checkIntact: async (message, start, end) => {
        // A small message is served from one checked read of it: making that read now checks it
        // and leaves it in the cache for the stream that follows.
        if (message.size <= SMALL_MESSAGE) await this.wholeOf(message);
        else await store.blobs.checkIntact(account, message.blobHash, start, end);
      },
    };
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
