/**
 * The account's live mailbox, as a restore sees it: folders, which messages a folder already holds,
 * creating folders, APPEND with flags and INTERNALDATE (MULTIAPPEND batches when offered) and quota.
 * Connects as the account through src/upstream (master impersonation or the account's own password).
 */
import { createHash } from 'node:crypto';
import { liveFolderPath, type AppendItem, type Quota, type UpstreamConnector, type UpstreamSession } from '../upstream/index.js';
import { liveIdentity, needsHash, shaKeyOf, splitByPresence, wantedOf, type LiveIdentity } from './message-identity.js';
import type { PlannedMessage } from './plan.js';

/**
 * The connection to the live server broke (closed, reset, timed out) in the middle of a restore.
 * Unlike a NO to one message, this says nothing about the messages still to go, and a command in
 * flight may or may not have been carried out: the restore stops here and reports itself
 * interrupted; running it again recomputes presence, so nothing is written twice.
 */
export class LiveConnectionLost extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LiveConnectionLost';
  }
}

export interface LiveFolder {
  path: string;
  subscribed: boolean;
}

export type { AppendItem, Quota };

const BATCH_MESSAGES = 50;
const BATCH_BYTES = 4 * 1024 * 1024;

export class LiveMailbox {
  private constructor(
    private readonly session: UpstreamSession,
    readonly account: string,
  ) {}

  static async open(upstream: UpstreamConnector, account: string): Promise<LiveMailbox> {
    return new LiveMailbox(await upstream.connect(account), account);
  }

  /** False once the connection has broken: what failed then says nothing about the request. */
  get connected(): boolean {
    return this.session.usable;
  }

  /** The live server's hierarchy delimiter (from NAMESPACE, else "/"). */
  get delimiter(): string {
    return this.session.delimiter;
  }

  livePath(storeName: string): string {
    return storeName.toUpperCase() === 'INBOX' ? 'INBOX' : liveFolderPath(storeName, this.delimiter);
  }

  async folders(): Promise<Map<string, LiveFolder>> {
    const folders = new Map<string, LiveFolder>();
    for (const entry of await this.session.listFolders()) {
      if (!entry.selectable) continue;
      folders.set(entry.path, { path: entry.path, subscribed: entry.subscribed });
    }
    return folders;
  }

  /** Creates the folder when missing and subscribes it; true when it had to be created. */
  async ensureFolder(path: string, known?: Map<string, LiveFolder>): Promise<boolean> {
    const folders = known ?? (await this.folders());
    if (folders.has(path)) return false;
    if (path.toUpperCase() !== 'INBOX') await this.session.createFolder(path);
    await this.session.subscribe(path);
    folders.set(path, { path, subscribed: true });
    return true;
  }

  async subscribe(path: string): Promise<void> {
    await this.session.subscribe(path);
  }

  /**
   * The identity of every message of the folder (message-identity.ts). Only the Message-ID header
   * fields and the size are fetched; a message is downloaded to hash it only when the Message-ID
   * cannot settle it and its size matches a candidate.
   */
  async presence(path: string, candidates: PlannedMessage[]): Promise<LiveIdentity[]> {
    const out: LiveIdentity[] = [];
    const mailbox = await this.session.examine(path);
    try {
      if (mailbox.exists === 0) return out;
      const sizes = new Map<LiveIdentity, { uid: number; size: number }>();
      for await (const message of this.session.fetchMessageIds()) {
        const size = message.size;
        const identity = liveIdentity(message.headers, size);
        out.push(identity);
        sizes.set(identity, { uid: message.uid, size });
      }
      // Only candidates the Message-IDs left unmatched can need a hash, and only live messages of
      // their sizes are downloaded: a repeated restore downloads nothing.
      const wanted = { idKeys: wantedOf(candidates).idKeys, sizes: wantedOf(splitByPresence(candidates, out).missing).sizes };
      const toHash = new Map<number, LiveIdentity>();
      for (const [identity, { uid, size }] of sizes) if (needsHash(identity, size, wanted)) toHash.set(uid, identity);
      if (toHash.size > 0) {
        for await (const message of this.session.fetchSources([...toHash.keys()])) {
          const identity = toHash.get(message.uid);
          if (identity) identity.shaKey = shaKeyOf(createHash('sha256').update(message.source).digest('hex'));
        }
      }
      return out;
    } finally {
      await this.session.closeFolder();
    }
  }

  /**
   * Appends the messages in order and reports, per message, whether the server stored it.
   * With MULTIAPPEND a batch is one atomic command; a refused batch is retried one by one so a
   * single bad message does not fail its neighbours. Throws LiveConnectionLost when the connection
   * breaks: the messages not yet confirmed are then neither stored nor failed, but unknown.
   */
  async append(path: string, items: AppendItem[], onStored?: (count: number) => void): Promise<boolean[]> {
    const stored: boolean[] = new Array(items.length).fill(false);
    const multi = this.session.supports('MULTIAPPEND');
    let index = 0;
    while (index < items.length) {
      const batch: number[] = [];
      let bytes = 0;
      while (index < items.length && batch.length < (multi ? BATCH_MESSAGES : 1) && (batch.length === 0 || bytes + items[index].raw.length <= BATCH_BYTES)) {
        // NUL bytes need the client library's literal8 handling: such a message goes alone.
        if (batch.length > 0 && items[index].raw.includes(0)) break;
        bytes += items[index].raw.length;
        batch.push(index++);
        if (items[batch[0]].raw.includes(0)) break;
      }
      if (batch.length > 1 && (await this.multiAppend(path, batch.map((i) => items[i])))) {
        batch.forEach((i) => (stored[i] = true));
        onStored?.(batch.length);
        continue;
      }
      for (const i of batch) {
        stored[i] = await this.appendOne(path, items[i]);
        if (stored[i]) onStored?.(1);
      }
    }
    return stored;
  }

  /** A LiveConnectionLost when the failure was not the server refusing the command, else null. */
  private connectionLost(error: unknown): LiveConnectionLost | null {
    if (this.session.refusedByServer(error)) return null;
    const detail = error instanceof Error ? error.message : 'the connection closed';
    return new LiveConnectionLost(`the connection to the mail server was lost (${detail})`);
  }

  private async appendOne(path: string, item: AppendItem): Promise<boolean> {
    let result: boolean;
    try {
      result = await this.session.append(path, item);
    } catch (error) {
      const lost = this.connectionLost(error);
      if (lost) throw lost;
      return false;
    }
    if (!result && !this.session.usable) throw this.connectionLost(undefined)!;
    return result;
  }

  private async multiAppend(path: string, items: AppendItem[]): Promise<boolean> {
    try {
      await this.session.multiAppend(path, items);
      return true;
    } catch (error) {
      // Only a refusal is known to have stored nothing (MULTIAPPEND is atomic) and may be retried
      // message by message; a batch whose answer never came might be stored, so the restore stops.
      const lost = this.connectionLost(error);
      if (lost) throw lost;
      return false;
    }
  }

  /** Storage quota of the INBOX's quota root, when the server offers QUOTA and sets a limit. */
  async quota(): Promise<Quota | null> {
    return this.session.storageQuota();
  }

  async close(): Promise<void> {
    try {
      await this.session.logout();
    } catch {
      this.session.close();
    }
  }
}
