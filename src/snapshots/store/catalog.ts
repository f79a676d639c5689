/**
 * The catalog half of the store: accounts, captures (one per snapshot run), and versioned folder
 * and message rows. A row is valid for the captures in [firstSeq, lastSeq], so a message that does
 * not change costs one row however many days keep it. A day's view is the committed capture
 * designated for that day label. SQLite (embedded/sqlite-catalog.ts) and PostgreSQL
 * (postgres/catalog.ts) implement it the same way:
 * - the rows of the latest committed capture are open-ended (lastSeq = OPEN), so a capture writes
 *   only what changed: a changed or new message gets a new open row and its old row is closed at
 *   the capture's previousSeq; a vanished one is closed; an unchanged one is not written at all.
 *   Per folder, it notes that it saw the folder (recordedSeq), and at commit the open folders it
 *   did not see are closed with their messages. An unchanged night writes O(folders) rows.
 * - while a capture runs, the rows closed at its previousSeq are exactly the ones it closed (only
 *   one capture of an account runs at a time), so rolling it back deletes the rows it started and
 *   reopens those: the previous state, exactly.
 * - dropping the latest committed day reopens the state of the capture before it, so open rows
 *   always are the latest committed state (plus those of the running capture).
 */
import type { DayLabel } from '../day-label.js';
import type { MessageStructure } from '../../mail/structure.js';

/** lastSeq of a row that is still valid (2^53 - 1: exact as a JavaScript number and within bigint). */
export const OPEN = Number.MAX_SAFE_INTEGER;

export interface Capture {
  seq: number;
  account: string;
  label: DayLabel;
  /** The latest committed capture of the account when this one started (what "unchanged" is measured against). */
  previousSeq: number | null;
}

export interface FolderRecord {
  /** UTF-8, "/"-separated whatever the live server's delimiter. */
  name: string;
  /** The live server's delimiter, kept for restores. */
  delimiter: string;
  uidValidity: number;
  uidNext: number;
  highestModseq: number | null;
  subscribed: boolean;
  specialUse: string | null;
  messages: number;
  bytes: number;
}

export interface MessageRecord {
  uid: number;
  flags: string[];
  internalDate: Date;
  size: number;
  blobHash: string;
}

export interface DaySummary {
  day: DayLabel;
  seq: number;
  folders: number;
  messages: number;
  bytes: number;
}

export interface BlobRecord {
  hash: string;
  size: number;
  storedBytes: number;
}

/** A message of a capture that a later capture may reuse without downloading it again. */
export interface ReusableMessage {
  folder: string;
  uidValidity: number;
  uid: number;
  size: number;
  internalDate: number;
  blobHash: string;
}

export interface NewBlob {
  blob: BlobRecord;
  structure: MessageStructure;
  /** The raw header block (bytes [0, structure.headerLength)), so header reads skip the blob file. */
  header?: Buffer;
  /** What SEARCH TEXT/BODY compare against, for the search index (only when Catalog.searchIndex). */
  searchText?: SearchText;
}

/**
 * A message's searchable text as SEARCH TEXT compares it (decoded, folded; src/proxy/search), and
 * the version of that definition: rows of another version are treated as not indexed.
 */
export interface SearchText {
  text: string;
  version: number;
}

export interface Catalog {
  /**
   * Whether this catalog keeps a search index (`store.searchIndex`, and the backend can): addBlobs
   * then stores NewBlob.searchText and textCandidates can answer.
   */
  readonly searchIndex: boolean;
  accounts(): Promise<string[]>;

  /**
   * Rolls back an interrupted capture of the account and opens a new one. Returns every body that
   * captures which never committed (interrupted or failed) recorded with recordFetched, and the
   * messages of folders they finished; their blob files may not have made it to disk.
   */
  startCapture(account: string, label: DayLabel): Promise<{ capture: Capture; salvaged: ReusableMessage[] }>;
  /** Replaces the folder's state in this capture: unchanged rows stay as they are (open), changed ones are versioned. */
  recordFolder(capture: Capture, folder: FolderRecord, messages: MessageRecord[]): Promise<void>;
  /** Fast path when the live folder is provably unchanged since capture.previousSeq. */
  carryFolderForward(capture: Capture, name: string, uidValidity: number): Promise<void>;
  /** Records blobs already durable in the blob store, in one transaction; known hashes are skipped. */
  addBlobs(account: string, blobs: NewBlob[], capture: Capture): Promise<void>;
  /**
   * Notes, before its blob is written, that this body is being stored for the capture: a run that
   * never commits leaves these for the next one (startCapture's salvage) instead of re-fetching.
   */
  recordFetched(capture: Capture, message: ReusableMessage): Promise<void>;
  hasBlob(account: string, hash: string): Promise<boolean>;
  /** Makes the capture visible as its day (superseding an earlier capture of the same day). */
  commitCapture(capture: Capture): Promise<void>;
  /** Removes everything the capture wrote to the catalog; it never becomes visible. Its fetched bodies stay for the next run. */
  abandonCapture(capture: Capture): Promise<void>;

  days(account: string): Promise<DaySummary[]>;
  /** Sequence number of the capture designated for the day, or null. */
  captureForDay(account: string, day: DayLabel): Promise<number | null>;
  folders(account: string, seq: number): Promise<FolderRecord[]>;
  messages(account: string, seq: number, folder: string, uidValidity: number): Promise<MessageRecord[]>;
  reusableMessages(account: string, seq: number): Promise<ReusableMessage[]>;
  blobStructure(account: string, hash: string): Promise<MessageStructure | null>;
  /**
   * The header blocks recorded at ingest, by hash, in one query for many messages (a header sync of
   * a big folder). Blobs added without one are left out: read their blob instead.
   */
  blobHeaders(account: string, hashes: string[]): Promise<Map<string, Buffer>>;
  /**
   * A prefilter for SEARCH TEXT/BODY: the hashes among `hashes` whose searchable text (of this
   * `version`) may contain `needle` (already folded): every indexed blob that holds it, and every
   * blob not indexed (never a wrong "no"). Null when the index cannot answer this needle (too
   * short for it, no index): the caller then reads every message.
   */
  textCandidates(account: string, hashes: string[], needle: string, version: number): Promise<Set<string> | null>;

  /**
   * Drops the captures of these days; their rows stay only while another capture still covers them.
   * A day a running capture builds on is kept for now. Returns the days actually dropped.
   */
  dropDays(account: string, days: DayLabel[]): Promise<DayLabel[]>;
  /** Deletes rows no capture covers and returns the blobs nothing references any more (already unlisted). */
  collectGarbage(account: string): Promise<string[]>;
  referencedBlobs(account: string): Promise<BlobRecord[]>;
  close(): Promise<void>;
}
