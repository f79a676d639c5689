/**
 * Sessions on the live IMAP server through imapflow: master-user impersonation (SASL PLAIN with
 * authzid) or the account's own password. Every use of imapflow's internals (raw LSUB, MULTIAPPEND
 * through its private executor, its encoders in lib/tools.js) is here and nowhere else.
 */
import { ImapFlow } from 'imapflow';
import { encodePath, formatDateTime, formatFlag } from 'imapflow/lib/tools.js';
import type { UpstreamSettings } from '../config/settings.js';
import { credentialsFor, type AccountCredentials, type AccountSettings } from './accounts.js';
import { describeUpstreamError, UpstreamError } from './errors.js';
import type {
  AppendItem, FolderStatus, LiveFolderEntry, MessageIdHeader, MessageSource, MessageSummary, Quota, UpstreamConnector, UpstreamSession,
} from './session.js';
import { imapTransportOptions } from './transport.js';

export function imapClientOptions(upstream: UpstreamSettings, user: string, credentials: AccountCredentials) {
  const auth =
    credentials.mode === 'master'
      ? { user: credentials.masterUser, pass: credentials.masterPassword, loginMethod: 'AUTH=PLAIN', authzid: user }
      : { user, pass: credentials.password };
  return {
    host: upstream.host,
    port: upstream.port,
    ...imapTransportOptions(upstream.tls, upstream.rejectUnauthorized),
    auth,
    logger: false as const,
    connectionTimeout: upstream.timeoutSeconds * 1000,
    greetingTimeout: upstream.timeoutSeconds * 1000,
    // Every read: a server that stops answering a command in flight fails it after this much
    // silence. imapflow does not count time our side spends on a response (storing bodies), so a
    // slow disk is not mistaken for a stuck server.
    socketTimeout: upstream.timeoutSeconds * 1000,
    disableAutoIdle: true,
    emitLogs: false,
  };
}

/** imapflow's command executor: public at run time, not in its type declarations; needed for LSUB and MULTIAPPEND. */
type Executor = { exec(command: string, attributes: unknown[], options?: unknown): Promise<{ next?: () => void }> };

class ImapflowSession implements UpstreamSession {
  /** What imapflow reported on the connection ('error' event): the cause behind a command's "connection lost". */
  connectionFailure: { error: unknown } | null = null;

  constructor(
    private readonly client: ImapFlow,
    private readonly upstream: UpstreamSettings,
    readonly account: string,
  ) {}

  get usable(): boolean {
    return this.client.usable;
  }

  get delimiter(): string {
    return this.client.namespace?.delimiter || '/';
  }

  supports(capability: string): boolean {
    return this.client.capabilities.has(capability);
  }

  async listFolders(): Promise<LiveFolderEntry[]> {
    return (await this.client.list()).map((entry) => ({
      path: entry.path,
      pathAsListed: entry.pathAsListed ?? entry.path,
      delimiter: entry.delimiter ?? null,
      selectable: !entry.flags.has('\\Noselect') && !entry.flags.has('\\NonExistent'),
      subscribed: Boolean(entry.subscribed),
      specialUse: entry.specialUseSource === 'extension' ? (entry.specialUse ?? null) : null,
    }));
  }

  /** imapflow's own list() reports INBOX as subscribed whatever the server says: ask LSUB itself. */
  async subscriptions(): Promise<Set<string>> {
    const names = new Set<string>();
    const nameOf = (node: { value?: unknown } | undefined) =>
      node?.value === undefined ? undefined : Buffer.isBuffer(node.value) ? node.value.toString('utf8') : String(node.value);
    // exec() holds imapflow's command queue until next() is called.
    const response = await (this.client as unknown as Executor).exec('LSUB', [{ type: 'STRING', value: '' }, { type: 'STRING', value: '*' }], {
      untagged: {
        LSUB: async (untagged: { attributes?: { value?: unknown }[] }) => {
          const flags = untagged.attributes?.[0] as unknown as { value?: string }[] | undefined;
          const noSelect = Array.isArray(flags) && flags.some((flag) => /^\\noselect$/i.test(String(flag?.value)));
          const name = nameOf(untagged.attributes?.[2]);
          if (name !== undefined && !noSelect) names.add(name);
        },
      },
    });
    response.next?.();
    return names;
  }

  async examine(path: string): Promise<FolderStatus> {
    const mailbox = await this.client.mailboxOpen(path, { readOnly: true });
    return {
      uidValidity: Number(mailbox.uidValidity),
      uidNext: mailbox.uidNext,
      exists: mailbox.exists,
      highestModseq: mailbox.highestModseq === undefined || mailbox.noModseq ? null : Number(mailbox.highestModseq),
    };
  }

  async closeFolder(): Promise<void> {
    await this.client.mailboxClose().catch(() => undefined);
  }

  async *fetchSummaries(): AsyncIterable<MessageSummary> {
    for await (const message of this.client.fetch('1:*', { uid: true, flags: true, internalDate: true, size: true })) {
      yield { uid: message.uid, flags: [...(message.flags ?? [])], internalDate: new Date(message.internalDate ?? 0).getTime(), size: message.size ?? 0 };
    }
  }

  async *fetchMessageIds(): AsyncIterable<MessageIdHeader> {
    for await (const message of this.client.fetch('1:*', { uid: true, size: true, headers: ['message-id'] })) {
      yield { uid: message.uid, size: message.size ?? 0, headers: message.headers ?? Buffer.alloc(0) };
    }
  }

  async *fetchSources(uids: number[]): AsyncIterable<MessageSource> {
    for await (const message of this.client.fetch(uids.join(','), { uid: true, source: true }, { uid: true })) {
      if (message.source) yield { uid: message.uid, source: message.source };
    }
  }

  async createFolder(path: string): Promise<void> {
    try {
      await this.client.mailboxCreate(path);
    } catch (error) {
      // ALREADYEXISTS after a race with another client is fine; anything else is not.
      const code = (error as { serverResponseCode?: string }).serverResponseCode;
      if (code !== 'ALREADYEXISTS') throw describeUpstreamError(error, this.upstream, this.account);
    }
  }

  async subscribe(path: string): Promise<void> {
    await this.client.mailboxSubscribe(path);
  }

  async append(path: string, item: AppendItem): Promise<boolean> {
    return Boolean(await this.client.append(path, item.raw, item.flags, item.internalDate));
  }

  async multiAppend(path: string, items: AppendItem[]): Promise<void> {
    const attributes: unknown[] = [{ type: 'ATOM', value: encodePath(this.client, path) }];
    for (const item of items) {
      const flags = item.flags.map((flag) => formatFlag(flag)).filter((flag): flag is string => Boolean(flag));
      attributes.push(flags.map((flag) => ({ type: 'ATOM', value: flag })));
      attributes.push({ type: 'STRING', value: formatDateTime(item.internalDate) });
      attributes.push({ type: 'LITERAL', value: item.raw });
    }
    const response = await (this.client as unknown as Executor).exec('APPEND', attributes);
    // imapflow holds its command queue until the caller releases the response.
    response.next?.();
  }

  refusedByServer(error: unknown): boolean {
    const status = (error as { responseStatus?: string } | undefined)?.responseStatus;
    return (status === 'NO' || status === 'BAD') && this.client.usable;
  }

  async storageQuota(): Promise<Quota | null> {
    const answer = await this.client.getQuota('INBOX').catch(() => false as const);
    const storage = answer ? (answer as { storage?: { usage?: number; limit?: number } }).storage : undefined;
    if (!storage || !storage.limit) return null;
    return { usedBytes: storage.usage ?? 0, limitBytes: storage.limit };
  }

  describeFailure(error: unknown): UpstreamError {
    if (error instanceof UpstreamError) return error;
    return describeUpstreamError(this.connectionFailure?.error ?? error, this.upstream, this.account);
  }

  async logout(): Promise<void> {
    await this.client.logout();
  }

  close(): void {
    this.client.close();
  }
}

/** A session logged in as `user`; connection failures arrive as an UpstreamError. */
export async function connectUpstream(upstream: UpstreamSettings, user: string, credentials: AccountCredentials): Promise<UpstreamSession> {
  const client = new ImapFlow(imapClientOptions(upstream, user, credentials) as ConstructorParameters<typeof ImapFlow>[0]);
  const session = new ImapflowSession(client, upstream, user);
  // imapflow emits 'error' on socket trouble after connect; the pending command rejects too, with
  // a vaguer error.
  client.on('error', (error: unknown) => {
    session.connectionFailure ??= { error };
  });
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw describeUpstreamError(error, upstream, user);
  }
  return session;
}

/**
 * Sessions as any account, with the configured credentials (the accounts file's password, else
 * master-user impersonation).
 */
export function upstreamConnector(upstream: UpstreamSettings, accounts: AccountSettings): UpstreamConnector {
  return {
    async connect(user, credentials) {
      const resolved = credentials ?? credentialsFor(accounts, user);
      if (!resolved) throw new Error(`${user}: no credentials for the live server (add the account to snapshot.accountsFile)`);
      return connectUpstream(upstream, user, resolved);
    },
  };
}
