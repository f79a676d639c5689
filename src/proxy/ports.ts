/**
 * The narrow interfaces the IMAP server is given. The protocol layer and the command modules reach
 * storage and authentication only through these, so a PostgreSQL/S3 store or another auth backend
 * is a new implementation of these types, not a change to the server.
 */
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import type { MessageStructure } from '../mail/structure.js';

/**
 * What every read below rejects with (a stream: fails with) when the stored copy of a message is
 * damaged: the server answers `NO [SERVERBUG]` for it and never sends the wrong bytes.
 */
export { BlobDamagedError } from '../snapshots/store/blob-damage.js';

/**
 * What a read rejects with when the store cannot answer now (StorageError of kind `unavailable`:
 * object storage or a database down): the server answers `NO [UNAVAILABLE]`, and the same command
 * works again once the store is back.
 */
export { StorageError } from '../snapshots/store/storage-error.js';

/** A mailbox of the virtual namespace one session sees (DESIGN §5). Names are UTF-8, "/"-separated. */
export interface MailboxInfo {
  name: string;
  /** false for `Snapshots` and `Snapshots/<day>`: they are `\Noselect`. */
  selectable: boolean;
  hasChildren: boolean;
}

/** One message of an opened snapshot folder, in UID order. */
export interface MessageRef {
  uid: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobHash: string;
}

/** A snapshot folder opened by SELECT/EXAMINE/STATUS. Immutable: a snapshot never changes. */
export interface OpenMailbox {
  name: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number;
  /** Flags present in the folder (FLAGS response); always includes the system flags. */
  flags: string[];
  messages: MessageRef[];
  /** Parsed structure computed at ingest (ENVELOPE, BODYSTRUCTURE, part offsets). */
  structure(message: MessageRef): Promise<MessageStructure>;
  /** The raw header block, bytes [0, structure.headerLength): what header searches, SORT and THREAD read. */
  readHeader(message: MessageRef): Promise<Buffer>;
  /** readHeader for many messages at once (one catalog query instead of one per message), in order. */
  readHeaders(messages: MessageRef[]): Promise<Buffer[]>;
  /** Raw RFC 5322 bytes [start, end) of the message; end defaults to its size. Streams, never buffers all. */
  read(message: MessageRef, start?: number, end?: number): Readable;
  /** Whole message in memory; only for SEARCH on bodies and small sections. */
  readAll(message: MessageRef): Promise<Buffer>;
  /**
   * Rejects with BlobDamagedError unless bytes [start, end) can be read intact: called before a
   * literal's length goes out, since bytes on the wire cannot be taken back. A stream still fails
   * on damage found later. Optional for in-memory implementations, which cannot be damaged.
   */
  checkIntact?(message: MessageRef, start: number, end: number): Promise<void>;
  /**
   * The store's search index as a prefilter for BODY/TEXT: the blob hashes of this folder's
   * messages whose searchable text (as `version` of the search engine defines it) may hold the
   * folded needle; every message it does not name certainly does not. null when the index cannot
   * answer (needle too short, no index): then every message is read. Optional: no index, no method.
   */
  textCandidates?(foldedNeedle: string, version: number): Promise<Set<string> | null>;
}

/** The virtual mailbox that turns COPY/MOVE into a restore request (issue 4, DESIGN §1). */
export const RESTORE_MAILBOX = 'Restore';

export interface RestoreAnswer {
  accepted: boolean;
  /** For the tagged reply: what happens next, or why not. */
  text: string;
  /**
   * Response code of a refusal: UNAVAILABLE when a part mtm depends on is down (the same request
   * may succeed later), CANNOT (the default) when the request itself cannot be granted.
   */
  code?: 'CANNOT' | 'UNAVAILABLE';
}

/** Everything one authenticated session may see: only its own account, maybe only one day. */
export interface SnapshotView {
  account: string;
  listMailboxes(): Promise<MailboxInfo[]>;
  /** null when no selectable mailbox has that name. Name is UTF-8, "/"-separated. */
  openMailbox(name: string): Promise<OpenMailbox | null>;
  /**
   * Files a merge restore of these UIDs of a snapshot folder into the live mailbox; null when
   * restores are not offered (or the name is not a snapshot folder).
   */
  requestRestore?(mailboxName: string, uids: number[]): Promise<RestoreAnswer | null>;
}

export type LoginResult =
  | { ok: true; account: string; view: SnapshotView }
  | { ok: false; code: 'AUTHENTICATIONFAILED' | 'UNAVAILABLE' | 'LIMIT'; text: string };

/**
 * Verifies a login (normally against the live server) and hands back the session's view. The
 * client's address and port say who is trying: limits count by them, and the live server may be told.
 */
export interface LoginService {
  /** `log`: the session's logger, so the service's lines name the session (default: its own). */
  login(user: string, password: string, remoteAddress: string, remotePort?: number, log?: Logger): Promise<LoginResult>;
}
