/**
 * The account's live mailbox, as a restore sees it: folders, which messages a folder already holds,
 * creating folders, APPEND with flags and INTERNALDATE (MULTIAPPEND batches when offered) and quota.
 * Connects as the account through the snapshotter's upstream connection (master impersonation or
 * the account's own password).
 */
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { encodePath, formatDateTime, formatFlag } from 'imapflow/lib/tools.js';
import type { Config } from '../config/schema.js';
import { configuredAccounts } from '../snapshots/snapshotter/accounts.js';
import { liveFolderPath } from '../snapshots/snapshotter/folder-names.js';
import { connectUpstream, describeUpstreamError, type AccountCredentials } from '../snapshots/snapshotter/upstream.js';
import { normalizeMessageId, type PlannedMessage } from './plan.js';

/** How a message is recognised in a folder: Message-ID and size, else the SHA-256 of its bytes. */
export function identityOf(message: { messageId: string | null; size: number; blobHash: string }): string {
  return message.messageId ? `id:${message.messageId}:${message.size}` : `sha:${message.blobHash}`;
}

export interface LiveFolder {
  path: string;
  subscribed: boolean;
}

export interface Quota {
  usedBytes: number;
  limitBytes: number;
}

export interface AppendItem {
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

const BATCH_MESSAGES = 50;
const BATCH_BYTES = 4 * 1024 * 1024;

export function credentialsFor(config: Config, account: string): AccountCredentials {
  const known = configuredAccounts(config).find((entry) => entry.user === account);
  if (known) return known.credentials;
  const auth = config.snapshot.auth;
  if (auth.mode === 'master') return { mode: 'master', masterUser: auth.masterUser, masterPassword: auth.masterPassword };
  throw new Error(`${account}: no credentials for the live server (add the account to snapshot.accountsFile)`);
}

/** imapflow's command executor: public at run time, not in its type declarations; needed for MULTIAPPEND. */
type Executor = { exec(command: string, attributes: unknown[], options?: unknown): Promise<{ next(): void }> };

export class LiveMailbox {
  private constructor(
    private readonly client: ImapFlow,
    private readonly upstream: Config['upstream'],
    readonly account: string,
  ) {}

  static async open(config: Config, account: string): Promise<LiveMailbox> {
    const client = await connectUpstream(config.upstream, account, credentialsFor(config, account));
    return new LiveMailbox(client, config.upstream, account);
  }

  /** The live server's hierarchy delimiter (from NAMESPACE, else "/"). */
  get delimiter(): string {
    return this.client.namespace?.delimiter || '/';
  }

  livePath(storeName: string): string {
    return storeName.toUpperCase() === 'INBOX' ? 'INBOX' : liveFolderPath(storeName, this.delimiter);
  }

  async folders(): Promise<Map<string, LiveFolder>> {
    const folders = new Map<string, LiveFolder>();
    for (const entry of await this.client.list()) {
      if (entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent')) continue;
      folders.set(entry.path, { path: entry.path, subscribed: entry.subscribed });
    }
    return folders;
  }

  /** Creates the folder when missing and subscribes it; true when it had to be created. */
  async ensureFolder(path: string, known?: Map<string, LiveFolder>): Promise<boolean> {
    const folders = known ?? (await this.folders());
    if (folders.has(path)) return false;
    if (path.toUpperCase() !== 'INBOX') {
      try {
        await this.client.mailboxCreate(path);
      } catch (error) {
        // ALREADYEXISTS after a race with another client is fine; anything else is not.
        const code = (error as { serverResponseCode?: string }).serverResponseCode;
        if (code !== 'ALREADYEXISTS') throw describeUpstreamError(error, this.upstream, this.account);
      }
    }
    await this.client.mailboxSubscribe(path);
    folders.set(path, { path, subscribed: true });
    return true;
  }

  async subscribe(path: string): Promise<void> {
    await this.client.mailboxSubscribe(path);
  }

  /**
   * How many messages of each identity the folder holds. Only the Message-ID header and the size are
   * fetched; a message without Message-ID is downloaded to hash it only when a candidate could match it.
   */
  async presence(path: string, candidates: PlannedMessage[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    const hashSizes = new Set(candidates.filter((message) => !message.messageId).map((message) => message.size));
    const mailbox = await this.client.mailboxOpen(path, { readOnly: true });
    try {
      if (mailbox.exists === 0) return counts;
      const toHash: number[] = [];
      for await (const message of this.client.fetch('1:*', { uid: true, size: true, headers: ['message-id'] })) {
        const header = message.headers ? message.headers.toString('utf8').replace(/^message-id:/i, '') : '';
        const messageId = normalizeMessageId(header.replace(/\r?\n[ \t]/g, ' ').trim());
        if (messageId) {
          const key = identityOf({ messageId, size: message.size ?? 0, blobHash: '' });
          counts.set(key, (counts.get(key) ?? 0) + 1);
        } else if (hashSizes.has(message.size ?? -1)) {
          toHash.push(message.uid);
        }
      }
      if (toHash.length > 0) {
        for await (const message of this.client.fetch(toHash.join(','), { uid: true, source: true }, { uid: true })) {
          if (!message.source) continue;
          const key = `sha:${createHash('sha256').update(message.source).digest('hex')}`;
          counts.set(key, (counts.get(key) ?? 0) + 1);
        }
      }
      return counts;
    } finally {
      await this.client.mailboxClose().catch(() => undefined);
    }
  }

  /**
   * Appends the messages in order and reports, per message, whether the server stored it.
   * With MULTIAPPEND a batch is one atomic command; a refused batch is retried one by one so a
   * single bad message does not fail its neighbours.
   */
  async append(path: string, items: AppendItem[], onStored?: (count: number) => void): Promise<boolean[]> {
    const stored: boolean[] = new Array(items.length).fill(false);
    const multi = this.client.capabilities.has('MULTIAPPEND');
    let index = 0;
    while (index < items.length) {
      const batch: number[] = [];
      let bytes = 0;
      while (index < items.length && batch.length < (multi ? BATCH_MESSAGES : 1) && (batch.length === 0 || bytes + items[index].raw.length <= BATCH_BYTES)) {
        // NUL bytes need imapflow's literal8 handling: such a message goes alone.
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

  private async appendOne(path: string, item: AppendItem): Promise<boolean> {
    try {
      const result = await this.client.append(path, item.raw, item.flags, item.internalDate);
      return Boolean(result);
    } catch {
      return false;
    }
  }

  private async multiAppend(path: string, items: AppendItem[]): Promise<boolean> {
    const attributes: unknown[] = [{ type: 'ATOM', value: encodePath(this.client, path) }];
    for (const item of items) {
      const flags = item.flags.map((flag) => formatFlag(flag)).filter((flag): flag is string => Boolean(flag));
      attributes.push(flags.map((flag) => ({ type: 'ATOM', value: flag })));
      attributes.push({ type: 'STRING', value: formatDateTime(item.internalDate) });
      attributes.push({ type: 'LITERAL', value: item.raw });
    }
    try {
      const response = await (this.client as unknown as Executor).exec('APPEND', attributes);
      // imapflow holds its command queue until the caller releases the response.
      response.next();
      return true;
    } catch {
      return false;
    }
  }

  /** Storage quota of the INBOX's quota root, when the server offers QUOTA and sets a limit. */
  async quota(): Promise<Quota | null> {
    const answer = await this.client.getQuota('INBOX').catch(() => false as const);
    const storage = answer ? (answer as { storage?: { usage?: number; limit?: number } }).storage : undefined;
    if (!storage || !storage.limit) return null;
    return { usedBytes: storage.usage ?? 0, limitBytes: storage.limit };
  }

  async close(): Promise<void> {
    try {
      await this.client.logout();
    } catch {
      this.client.close();
    }
  }
}
