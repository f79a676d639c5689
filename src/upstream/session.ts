/**
 * What the rest of mtm may ask of the live IMAP server: one logged-in session per account. The
 * snapshotter reads through it, restores and notices write through it; nothing outside
 * src/upstream knows which IMAP client library answers (today imapflow, in connection.ts).
 */
import type { AccountCredentials } from './accounts.js';
import type { UpstreamError } from './errors.js';

/** A folder as LIST reports it. */
export interface LiveFolderEntry {
  /** Decoded (UTF-8) path, in the live server's own hierarchy (its delimiter). */
  path: string;
  /** The name exactly as the server sent it (modified UTF-7 unless UTF8=ACCEPT): LSUB speaks this form. */
  pathAsListed: string;
  delimiter: string | null;
  /** Neither \Noselect nor \NonExistent. */
  selectable: boolean;
  /** Subscribed by LIST + LSUB as the client library reads them (INBOX always counts as subscribed). */
  subscribed: boolean;
  /** The SPECIAL-USE attribute the server sent (RFC 6154); never one guessed from the name. */
  specialUse: string | null;
}

/** A folder opened read-only (EXAMINE). */
export interface FolderStatus {
  uidValidity: number;
  uidNext: number;
  exists: number;
  /** Null when the server has no CONDSTORE for this folder. */
  highestModseq: number | null;
}

export interface MessageSummary {
  uid: number;
  flags: string[];
  /** INTERNALDATE in milliseconds since the epoch (0 when the server sent none). */
  internalDate: number;
  /** RFC822.SIZE (0 when the server sent none). */
  size: number;
}

export interface MessageIdHeader {
  uid: number;
  size: number;
  /** The Message-ID header field(s) as sent, possibly empty. */
  headers: Buffer;
}

export interface MessageSource {
  uid: number;
  source: Buffer;
}

export interface AppendItem {
  raw: Buffer;
  flags: string[];
  internalDate: Date;
}

export interface Quota {
  usedBytes: number;
  limitBytes: number;
}

export interface UpstreamSession {
  readonly account: string;
  /** False once the connection has broken. */
  readonly usable: boolean;
  /** The live server's hierarchy delimiter (from NAMESPACE, else "/"). */
  readonly delimiter: string;
  supports(capability: string): boolean;

  listFolders(): Promise<LiveFolderEntry[]>;
  /** Subscriptions straight from LSUB (selectable names, in their on-the-wire form). */
  subscriptions(): Promise<Set<string>>;

  /** EXAMINE: nothing the session does afterwards can change the folder. */
  examine(path: string): Promise<FolderStatus>;
  /** Leaves the open folder; never throws. */
  closeFolder(): Promise<void>;
  /** UID, FLAGS, INTERNALDATE and RFC822.SIZE of every message of the open folder. */
  fetchSummaries(): AsyncIterable<MessageSummary>;
  /** UID, RFC822.SIZE and the Message-ID header of every message of the open folder. */
  fetchMessageIds(): AsyncIterable<MessageIdHeader>;
  /** The full bytes of the messages with these UIDs (BODY.PEEK[]); messages gone meanwhile are left out. */
  fetchSources(uids: number[]): AsyncIterable<MessageSource>;

  /** CREATE; a folder that already exists (a race with another client) is fine. */
  createFolder(path: string): Promise<void>;
  subscribe(path: string): Promise<void>;
  /** One APPEND with flags and INTERNALDATE: whether the server stored the message. */
  append(path: string, item: AppendItem): Promise<boolean>;
  /** One MULTIAPPEND command (RFC 3502, atomic): resolves when stored, rejects otherwise. */
  multiAppend(path: string, items: AppendItem[]): Promise<void>;
  /** True when `error` is the server refusing a command on a connection that still works. */
  refusedByServer(error: unknown): boolean;
  /** Storage quota of INBOX's quota root, when the server offers QUOTA and sets a limit. */
  storageQuota(): Promise<Quota | null>;

  /** A failed command as a sentence the user can act on (the connection's own failure first). */
  describeFailure(error: unknown): UpstreamError;
  logout(): Promise<void>;
  close(): void;
}

/** Opens sessions: as a named account with given credentials, or with the configured ones. */
export interface UpstreamConnector {
  connect(user: string, credentials?: AccountCredentials): Promise<UpstreamSession>;
}
