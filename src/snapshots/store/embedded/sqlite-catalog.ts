/** The embedded catalog: one SQLite file (WAL) beside the blobs. See catalog.ts for the model. */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { DayLabel } from '../../day-label.js';
import type { MessageStructure } from '../../../mail/structure.js';
import { decodeHeader, decodeStructure, encodeHeader, encodeStructure } from '../catalog-encoding.js';
import { OPEN, type BlobRecord, type Capture, type Catalog, type NewBlob, type DaySummary, type FolderRecord, type MessageRecord, type ReusableMessage, type SearchText } from '../catalog.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS captures (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, account_id INTEGER NOT NULL, label TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running', 'committed', 'superseded')),
  started_at INTEGER NOT NULL, committed_at INTEGER, pid INTEGER);
CREATE INDEX IF NOT EXISTS captures_by_account ON captures (account_id, status, label);
CREATE TABLE IF NOT EXISTS folder_versions (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, name TEXT NOT NULL, delimiter TEXT NOT NULL,
  uid_validity INTEGER NOT NULL, uid_next INTEGER NOT NULL, highest_modseq INTEGER, subscribed INTEGER NOT NULL,
  special_use TEXT, messages INTEGER NOT NULL, bytes INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  recorded_seq INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS folder_versions_live ON folder_versions (account_id, last_seq, first_seq);
CREATE TABLE IF NOT EXISTS message_versions (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, folder TEXT NOT NULL, uid_validity INTEGER NOT NULL,
  uid INTEGER NOT NULL, blob_hash TEXT NOT NULL, flags TEXT NOT NULL, internal_date INTEGER NOT NULL,
  size INTEGER NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS message_versions_live ON message_versions (account_id, folder, uid_validity, last_seq, uid);
CREATE INDEX IF NOT EXISTS message_versions_by_seq ON message_versions (account_id, last_seq, first_seq);
CREATE INDEX IF NOT EXISTS message_versions_by_blob ON message_versions (account_id, blob_hash);
CREATE TABLE IF NOT EXISTS blobs (
  account_id INTEGER NOT NULL, hash TEXT NOT NULL, size INTEGER NOT NULL, stored_bytes INTEGER NOT NULL,
  structure TEXT NOT NULL, added_seq INTEGER NOT NULL, header BLOB, PRIMARY KEY (account_id, hash)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS fetched_bodies (
  account_id INTEGER NOT NULL, capture_seq INTEGER NOT NULL, folder TEXT NOT NULL, uid_validity INTEGER NOT NULL,
  uid INTEGER NOT NULL, size INTEGER NOT NULL, internal_date INTEGER NOT NULL, blob_hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS fetched_bodies_by_account ON fetched_bodies (account_id, capture_seq);
CREATE TABLE IF NOT EXISTS blob_texts (
  id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, hash TEXT NOT NULL, version INTEGER NOT NULL, UNIQUE (account_id, hash));
CREATE VIRTUAL TABLE IF NOT EXISTS blob_text_trigrams USING fts5(
  text, content='', contentless_delete=1, detail=none, tokenize='trigram case_sensitive 1');
`;

/**
 * The search index (issue 13): blob_texts says which blobs are indexed, under which version of the
 * searchable text; blob_text_trigrams (FTS5, trigram tokenizer) holds that text's trigrams under the
 * same rowid. Contentless (the text is not stored) and detail=none (which trigrams, not where): a
 * thirtieth of the size of a positional index of the bench's mail. The text comes folded by the
 * search engine, hence case-sensitive trigrams: SQLite's own case folding would differ from IMAP's.
 * Without positions a phrase cannot be asked, so the query is "every trigram of the needle occurs":
 * every text holding the needle, and a few more that the exact matcher then turns down.
 */
const MIN_NEEDLE_CHARACTERS = 3;
/** Enough trigrams to single out the texts; more only make the query slower. */
const MAX_QUERY_TRIGRAMS = 24;

/** An FTS5 query for texts holding every trigram of the needle (each one quoted, quotes doubled). */
function trigramQuery(needle: string): string {
  const characters = [...needle];
  const trigrams = [...new Set(characters.slice(2).map((_, at) => characters.slice(at, at + 3).join('')))];
  // A long needle: trigrams spread over all of it (any subset still admits every text holding it).
  const step = Math.max(1, trigrams.length / MAX_QUERY_TRIGRAMS);
  const chosen = trigrams.length <= MAX_QUERY_TRIGRAMS ? trigrams : Array.from({ length: MAX_QUERY_TRIGRAMS }, (_, index) => trigrams[Math.floor(index * step)]);
  return chosen.map((trigram) => `"${trigram.replace(/"/g, '""')}"`).join(' AND ');
}

interface FolderRow {
  name: string; delimiter: string; uid_validity: number; uid_next: number; highest_modseq: number | null;
  subscribed: number; special_use: string | null; messages: number; bytes: number;
}
interface MessageRow { id: number; uid: number; flags: string; internal_date: number; size: number; blob_hash: string; first_seq: number }

function toFolder(row: FolderRow): FolderRecord {
  return {
    name: row.name, delimiter: row.delimiter, uidValidity: row.uid_validity, uidNext: row.uid_next,
    highestModseq: row.highest_modseq, subscribed: row.subscribed === 1, specialUse: row.special_use,
    messages: row.messages, bytes: row.bytes,
  };
}

function toMessage(row: MessageRow): MessageRecord {
  return { uid: row.uid, flags: JSON.parse(row.flags) as string[], internalDate: new Date(row.internal_date), size: row.size, blobHash: row.blob_hash };
}

/**
 * Schema steps after the first layout, applied once per catalog file (PRAGMA user_version counts
 * them). A catalog opened read-only is read as it is: every layout answers the same reads.
 */
const SCHEMA_STEPS: ((db: Database.Database) => void)[] = [
  // 1: open-ended rows (see OPEN in catalog.ts). The rows of each account's latest committed
  // capture become open; a capture left running by an older version keeps its own rows closed at
  // its seq, so rolling it back (deleting them) leaves exactly that committed state open.
  (db) => {
    const columns = (db.pragma('table_info(folder_versions)') as { name: string }[]).map((column) => column.name);
    if (!columns.includes('recorded_seq')) db.exec('ALTER TABLE folder_versions ADD COLUMN recorded_seq INTEGER NOT NULL DEFAULT 0');
    for (const table of ['folder_versions', 'message_versions']) {
      db.prepare(
        `UPDATE ${table} SET last_seq = ? FROM (SELECT account_id, max(seq) AS seq FROM captures WHERE status IN ('committed', 'superseded') GROUP BY account_id) AS latest
         WHERE latest.account_id = ${table}.account_id AND ${table}.first_seq <= latest.seq AND ${table}.last_seq >= latest.seq`,
      ).run(OPEN);
    }
  },
];

function isAlive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class SqliteCatalog implements Catalog {
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  private readonly readOnly: boolean;
  /** Catalogs written before the header column existed, opened read-only, cannot gain it. */
  private readonly hasHeaderColumn: boolean = true;
  /** Likewise the search index tables. */
  private readonly hasSearchTables: boolean = true;
  readonly searchIndex: boolean;

  /**
   * `readOnly`: for commands that only read, and for serving a store that cannot be written (a
   * read-only mount, a full disk). Such a connection needs no schema change and, with the catalog
   * left in rollback-journal mode by its last writer (see close), no -wal or -shm file either.
   */
  constructor(file: string, options: { readOnly?: boolean; searchIndex?: boolean } = {}) {
    this.readOnly = options.readOnly ?? false;
    if (this.readOnly) {
      this.db = new Database(file, { readonly: true, fileMustExist: true });
      this.db.pragma('busy_timeout = 10000');
      this.hasHeaderColumn = (this.db.pragma('table_info(blobs)') as { name: string }[]).some((column) => column.name === 'header');
      this.hasSearchTables = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'blob_text_trigrams'").get() !== undefined;
      this.searchIndex = (options.searchIndex ?? true) && this.hasSearchTables;
      return;
    }
    this.searchIndex = options.searchIndex ?? true;
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 10000');
    this.db.exec(SCHEMA);
    this.upgradeSchema();
    // Catalogs written before the header column existed gain it empty; their blobs keep serving
    // headers from the blob files.
    const hasHeader = () => (this.db.pragma('table_info(blobs)') as { name: string }[]).some((column) => column.name === 'header');
    if (!hasHeader()) {
      try {
        this.db.exec('ALTER TABLE blobs ADD COLUMN header BLOB');
      } catch (error) {
        // Another process opening the same catalog may have added it first.
        if (!hasHeader()) throw error;
      }
    }
  }

  /** Applies the schema steps this file lacks, each with its version bump, one writer at a time. */
  private upgradeSchema(): void {
    const version = () => this.db.pragma('user_version', { simple: true }) as number;
    if (version() >= SCHEMA_STEPS.length) return;
    this.db.transaction(() => {
      // Inside the write lock: another process may have upgraded the file meanwhile.
      for (let step = version(); step < SCHEMA_STEPS.length; step++) {
        SCHEMA_STEPS[step](this.db);
        this.db.pragma(`user_version = ${step + 1}`);
      }
    }).immediate();
  }

  /** Prepared once per SQL text: preparing costs more than running the small lookups that serve IMAP. */
  private statement(sql: string): Database.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) this.statements.set(sql, (prepared = this.db.prepare(sql)));
    return prepared;
  }

  /** Account rows are never deleted, so an id once seen stays right (also for other processes' inserts). */
  private readonly accountIds = new Map<string, number>();

  private accountId(account: string, create = false): number | null {
    const known = this.accountIds.get(account);
    if (known !== undefined) return known;
    const row = this.statement('SELECT id FROM accounts WHERE name = ?').get(account) as { id: number } | undefined;
    let id = row?.id ?? null;
    if (id === null && create) id = Number(this.statement('INSERT INTO accounts (name) VALUES (?)').run(account).lastInsertRowid);
    if (id !== null) this.accountIds.set(account, id);
    return id;
  }

  private requireAccount(capture: Capture): number {
    const id = this.accountId(capture.account);
    if (id === null) throw new Error(`unknown account ${capture.account}`);
    return id;
  }

  async accounts(): Promise<string[]> {
    return (this.statement('SELECT name FROM accounts ORDER BY name').all() as { name: string }[]).map((row) => row.name);
  }

  private latestCommitted(accountId: number, below = Number.MAX_SAFE_INTEGER): number | null {
    const row = this.statement("SELECT max(seq) AS seq FROM captures WHERE account_id = ? AND status IN ('committed', 'superseded') AND seq < ?")
      .get(accountId, below) as { seq: number | null };
    return row.seq;
  }

  async startCapture(account: string, label: DayLabel): Promise<{ capture: Capture; salvaged: ReusableMessage[] }> {
    return this.db.transaction(() => {
      const accountId = this.accountId(account, true)!;
      const salvaged: ReusableMessage[] = [];
      const running = this.statement("SELECT seq, pid FROM captures WHERE account_id = ? AND status = 'running'").all(accountId) as { seq: number; pid: number | null }[];
      for (const stale of running) {
        if (stale.pid !== process.pid && isAlive(stale.pid)) {
          throw new Error(`another snapshot of ${account} is running (pid ${stale.pid})`);
        }
        salvaged.push(...this.salvage(accountId, stale.seq));
        this.rollback(accountId, stale.seq);
      }
      // Every body an interrupted or failed capture stored, finished folder or not: no capture of
      // the account is running now, so all of them belong to captures that will never commit.
      const fetched = this.statement('SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM fetched_bodies WHERE account_id = ?')
        .all(accountId) as { folder: string; uid_validity: number; uid: number; size: number; internal_date: number; blob_hash: string }[];
      for (const row of fetched) {
        salvaged.push({ folder: row.folder, uidValidity: row.uid_validity, uid: row.uid, size: row.size, internalDate: row.internal_date, blobHash: row.blob_hash });
      }
      const previousSeq = this.latestCommitted(accountId);
      const seq = Number(
        this.statement("INSERT INTO captures (account_id, label, status, started_at, pid) VALUES (?, ?, 'running', ?, ?)").run(accountId, label, Date.now(), process.pid).lastInsertRowid,
      );
      // Blobs the interrupted captures fetched now belong to this one: it reuses them (salvaged or
      // found on disk), so garbage collection must treat them as in use while it runs. Their
      // progress rows move along, so a second interruption loses nothing either.
      const adopt = this.statement('UPDATE blobs SET added_seq = ? WHERE account_id = ? AND added_seq = ?');
      for (const stale of running) adopt.run(seq, accountId, stale.seq);
      this.statement('UPDATE blobs SET added_seq = ? WHERE account_id = ? AND hash IN (SELECT blob_hash FROM fetched_bodies WHERE account_id = ?)').run(seq, accountId, accountId);
      this.statement('UPDATE fetched_bodies SET capture_seq = ? WHERE account_id = ?').run(seq, accountId);
      return { capture: { seq, account, label, previousSeq }, salvaged };
    }).immediate();
  }

  private salvage(accountId: number, seq: number): ReusableMessage[] {
    const rows = this.statement('SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM message_versions WHERE account_id = ? AND first_seq = ?')
      .all(accountId, seq) as { folder: string; uid_validity: number; uid: number; size: number; internal_date: number; blob_hash: string }[];
    return rows.map((row) => ({ folder: row.folder, uidValidity: row.uid_validity, uid: row.uid, size: row.size, internalDate: row.internal_date, blobHash: row.blob_hash }));
  }

  /** Deletes the rows the capture started and reopens those it closed (see catalog.ts). */
  private rollback(accountId: number, seq: number): void {
    const previous = this.latestCommitted(accountId, seq) ?? 0;
    for (const table of ['message_versions', 'folder_versions']) {
      this.statement(`DELETE FROM ${table} WHERE account_id = ? AND first_seq = ?`).run(accountId, seq);
      this.statement(`UPDATE ${table} SET last_seq = ? WHERE account_id = ? AND last_seq = ?`).run(OPEN, accountId, previous);
    }
    this.statement('DELETE FROM captures WHERE seq = ?').run(seq);
  }

  /** Ends an open row for this capture: closed at its previous capture, or deleted if the capture itself started it. */
  private retire(table: 'message_versions' | 'folder_versions', row: { id: number; first_seq: number }, capture: Capture): void {
    if (row.first_seq === capture.seq) this.statement(`DELETE FROM ${table} WHERE id = ?`).run(row.id);
    else this.statement(`UPDATE ${table} SET last_seq = ? WHERE id = ?`).run(capture.previousSeq ?? 0, row.id);
  }

  /**
   * After the latest committed capture was dropped: makes the open rows the state of the one now
   * latest (or none), as if the dropped captures had never run. No live capture builds on a dropped
   * day (dropDays keeps those), so rows started after the new latest belong to nobody.
   */
  private reopenLatest(accountId: number): void {
    const latest = this.latestCommitted(accountId) ?? 0;
    for (const table of ['message_versions', 'folder_versions']) {
      this.statement(`DELETE FROM ${table} WHERE account_id = ? AND first_seq > ?`).run(accountId, latest);
      this.statement(`UPDATE ${table} SET last_seq = ? WHERE account_id = ? AND last_seq >= ? AND last_seq < ? AND first_seq <= ?`).run(OPEN, accountId, latest, OPEN, latest);
    }
  }

  /**
   * One folder's writes (or a fetch batch's blob rows) in one transaction that does not sync the
   * WAL (synchronous=NORMAL): one fsync per account's capture instead of one per folder. Safe
   * because the WAL is one sequential log: commitCapture's transaction runs with FULL and its sync
   * makes every frame before it durable too. A power cut before that loses at most a suffix of these
   * transactions (SQLite recovers the WAL up to the last intact commit), all of them belonging to a
   * capture that is still 'running' (startCapture committed that with FULL), which the next run
   * rolls back as it would anyway: deleting what the capture started and reopening what it closed
   * is right for any prefix of its writes. Lost blob rows only cost a re-analysis of their files
   * (fetched_bodies salvage).
   */
  private perFolderTransaction(work: () => void): void {
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      this.db.transaction(work).immediate();
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  async recordFolder(capture: Capture, folder: FolderRecord, messages: MessageRecord[]): Promise<void> {
    const accountId = this.requireAccount(capture);
    this.perFolderTransaction(() => {
      const existing = this.statement('SELECT * FROM folder_versions WHERE account_id = ? AND name = ? AND uid_validity = ? AND last_seq = ?')
        .get(accountId, folder.name, folder.uidValidity, OPEN) as (FolderRow & { id: number; first_seq: number }) | undefined;
      const same = existing && existing.delimiter === folder.delimiter && existing.uid_next === folder.uidNext &&
        existing.highest_modseq === folder.highestModseq && (existing.subscribed === 1) === folder.subscribed &&
        existing.special_use === folder.specialUse && existing.messages === folder.messages && existing.bytes === folder.bytes;
      if (same) {
        this.statement('UPDATE folder_versions SET recorded_seq = ? WHERE id = ?').run(capture.seq, existing.id);
      } else {
        if (existing) this.retire('folder_versions', existing, capture);
        this.statement(
          `INSERT INTO folder_versions (account_id, name, delimiter, uid_validity, uid_next, highest_modseq, subscribed, special_use, messages, bytes, first_seq, last_seq, recorded_seq)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(accountId, folder.name, folder.delimiter, folder.uidValidity, folder.uidNext, folder.highestModseq, folder.subscribed ? 1 : 0, folder.specialUse, folder.messages, folder.bytes, capture.seq, OPEN, capture.seq);
      }
      const before = new Map<number, MessageRow>();
      const rows = this.statement('SELECT id, uid, flags, internal_date, size, blob_hash, first_seq FROM message_versions WHERE account_id = ? AND folder = ? AND uid_validity = ? AND last_seq = ?')
        .all(accountId, folder.name, folder.uidValidity, OPEN) as MessageRow[];
      for (const row of rows) before.set(row.uid, row);
      const insert = this.statement(
        `INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      for (const message of messages) {
        const flags = JSON.stringify([...message.flags].sort());
        const old = before.get(message.uid);
        before.delete(message.uid);
        if (old && old.flags === flags && old.blob_hash === message.blobHash && old.internal_date === message.internalDate.getTime() && old.size === message.size) continue;
        if (old) this.retire('message_versions', old, capture);
        insert.run(accountId, folder.name, folder.uidValidity, message.uid, message.blobHash, flags, message.internalDate.getTime(), message.size, capture.seq, OPEN);
      }
      // Gone from the live folder.
      for (const vanished of before.values()) this.retire('message_versions', vanished, capture);
    });
  }

  async carryFolderForward(capture: Capture, name: string, uidValidity: number): Promise<void> {
    const accountId = this.requireAccount(capture);
    // The open rows already say it all: only note that this capture saw the folder.
    this.perFolderTransaction(() => {
      this.statement('UPDATE folder_versions SET recorded_seq = ? WHERE account_id = ? AND name = ? AND uid_validity = ? AND last_seq = ?').run(capture.seq, accountId, name, uidValidity, OPEN);
    });
  }

  async addBlobs(account: string, blobs: NewBlob[], capture: Capture): Promise<void> {
    if (blobs.length === 0) return;
    const accountId = this.accountId(account, true)!;
    const insert = this.statement('INSERT OR IGNORE INTO blobs (account_id, hash, size, stored_bytes, structure, added_seq, header) VALUES (?, ?, ?, ?, ?, ?, ?)');
    // One transaction per fetch batch, synced with the capture's commit (see perFolderTransaction).
    this.perFolderTransaction(() => {
      for (const { blob, structure, header, searchText } of blobs) {
        // Compact rows: the structure as bytes (its type tells the encoding) and the header encoded.
        insert.run(accountId, blob.hash, blob.size, blob.storedBytes, encodeStructure(structure, header ?? null), capture.seq, header ? encodeHeader(header) : null);
        if (searchText && this.searchIndex) this.indexText(accountId, blob.hash, searchText);
      }
    });
  }

  /** Indexes a blob's text, unless it is indexed under this version already. */
  private indexText(accountId: number, hash: string, { text, version }: SearchText): void {
    const existing = this.statement('SELECT id, version FROM blob_texts WHERE account_id = ? AND hash = ?').get(accountId, hash) as { id: number; version: number } | undefined;
    if (existing?.version === version) return;
    let id: number;
    if (existing) {
      id = existing.id;
      this.statement('DELETE FROM blob_text_trigrams WHERE rowid = ?').run(id);
      this.statement('UPDATE blob_texts SET version = ? WHERE id = ?').run(version, id);
    } else {
      id = Number(this.statement('INSERT INTO blob_texts (account_id, hash, version) VALUES (?, ?, ?)').run(accountId, hash, version).lastInsertRowid);
    }
    this.statement('INSERT INTO blob_text_trigrams (rowid, text) VALUES (?, ?)').run(id, text);
  }

  async textCandidates(account: string, hashes: string[], needle: string, version: number): Promise<Set<string> | null> {
    if (!this.searchIndex || [...needle].length < MIN_NEEDLE_CHARACTERS || needle.includes('\0')) return null;
    const accountId = this.accountId(account);
    if (accountId === null) return null;
    // Blobs without an index row of this version are candidates; the MATCH runs once for all.
    const rows = this.statement(
        `SELECT j.value AS hash FROM json_each(?) j
           LEFT JOIN blob_texts t ON t.account_id = ? AND t.hash = j.value AND t.version = ?
           WHERE t.id IS NULL OR t.id IN (SELECT rowid FROM blob_text_trigrams WHERE blob_text_trigrams MATCH ?)`,
      )
      .all(JSON.stringify(hashes), accountId, version, trigramQuery(needle)) as { hash: string }[];
    return new Set(rows.map((row) => row.hash));
  }

  async recordFetched(capture: Capture, message: ReusableMessage): Promise<void> {
    const accountId = this.requireAccount(capture);
    // One row per body, so no WAL sync of its own (synchronous=NORMAL): the commit's sync covers
    // it, and a row lost to a power cut only means fetching that body again. A sync per message
    // would double the snapshot's fsyncs.
    this.statement('PRAGMA synchronous = NORMAL').run();
    try {
      this.statement('INSERT INTO fetched_bodies (account_id, capture_seq, folder, uid_validity, uid, size, internal_date, blob_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(accountId, capture.seq, message.folder, message.uidValidity, message.uid, message.size, message.internalDate, message.blobHash);
    } finally {
      this.statement('PRAGMA synchronous = FULL').run();
    }
  }

  async hasBlob(account: string, hash: string): Promise<boolean> {
    const accountId = this.accountId(account);
    if (accountId === null) return false;
    return this.statement('SELECT 1 FROM blobs WHERE account_id = ? AND hash = ?').get(accountId, hash) !== undefined;
  }

  async commitCapture(capture: Capture): Promise<void> {
    const accountId = this.requireAccount(capture);
    this.db.transaction(() => {
      // Folders this capture neither recorded nor carried forward are gone from the live server:
      // they end, with their messages, at the previous capture.
      const previous = capture.previousSeq ?? 0;
      const unseen = this.statement('SELECT id, name, uid_validity FROM folder_versions WHERE account_id = ? AND last_seq = ? AND recorded_seq < ?')
        .all(accountId, OPEN, capture.seq) as { id: number; name: string; uid_validity: number }[];
      for (const folder of unseen) {
        this.statement('UPDATE message_versions SET last_seq = ? WHERE account_id = ? AND folder = ? AND uid_validity = ? AND last_seq = ?').run(previous, accountId, folder.name, folder.uid_validity, OPEN);
        this.statement('UPDATE folder_versions SET last_seq = ? WHERE id = ?').run(previous, folder.id);
      }
      this.statement("UPDATE captures SET status = 'superseded' WHERE account_id = ? AND label = ? AND status = 'committed'").run(accountId, capture.label);
      const changed = this.statement("UPDATE captures SET status = 'committed', committed_at = ? WHERE seq = ? AND status = 'running'").run(Date.now(), capture.seq).changes;
      if (changed !== 1) throw new Error(`capture ${capture.seq} of ${capture.account} is no longer running`);
      this.statement('DELETE FROM fetched_bodies WHERE account_id = ?').run(accountId);
    }).immediate();
  }

  async abandonCapture(capture: Capture): Promise<void> {
    const accountId = this.accountId(capture.account);
    if (accountId !== null) this.db.transaction(() => this.rollback(accountId, capture.seq)).immediate();
  }

  async days(account: string): Promise<DaySummary[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    const captures = this.statement("SELECT seq, label FROM captures WHERE account_id = ? AND status = 'committed' ORDER BY label").all(accountId) as { seq: number; label: string }[];
    const totals = this.statement(
      'SELECT count(*) AS folders, coalesce(sum(messages), 0) AS messages, coalesce(sum(bytes), 0) AS bytes FROM folder_versions WHERE account_id = ? AND last_seq >= ? AND first_seq <= ?',
    );
    return captures.map(({ seq, label }) => {
      const total = totals.get(accountId, seq, seq) as { folders: number; messages: number; bytes: number };
      return { day: label, seq, ...total };
    });
  }

  async captureForDay(account: string, day: DayLabel): Promise<number | null> {
    const accountId = this.accountId(account);
    if (accountId === null) return null;
    const row = this.statement("SELECT seq FROM captures WHERE account_id = ? AND label = ? AND status = 'committed'").get(accountId, day) as { seq: number } | undefined;
    return row?.seq ?? null;
  }

  async folders(account: string, seq: number): Promise<FolderRecord[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    const rows = this.statement('SELECT * FROM folder_versions WHERE account_id = ? AND last_seq >= ? AND first_seq <= ? ORDER BY name').all(accountId, seq, seq) as FolderRow[];
    return rows.map(toFolder);
  }

  async messages(account: string, seq: number, folder: string, uidValidity: number): Promise<MessageRecord[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    const rows = this.statement('SELECT id, uid, flags, internal_date, size, blob_hash FROM message_versions WHERE account_id = ? AND folder = ? AND uid_validity = ? AND last_seq >= ? AND first_seq <= ? ORDER BY uid')
      .all(accountId, folder, uidValidity, seq, seq) as MessageRow[];
    return rows.map(toMessage);
  }

  async reusableMessages(account: string, seq: number): Promise<ReusableMessage[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    const rows = this.statement('SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM message_versions WHERE account_id = ? AND last_seq >= ? AND first_seq <= ?')
      .all(accountId, seq, seq) as { folder: string; uid_validity: number; uid: number; size: number; internal_date: number; blob_hash: string }[];
    return rows.map((row) => ({ folder: row.folder, uidValidity: row.uid_validity, uid: row.uid, size: row.size, internalDate: row.internal_date, blobHash: row.blob_hash }));
  }

  async blobStructure(account: string, hash: string): Promise<MessageStructure | null> {
    const accountId = this.accountId(account);
    if (accountId === null) return null;
    if (!this.hasHeaderColumn) {
      const row = this.statement('SELECT structure FROM blobs WHERE account_id = ? AND hash = ?').get(accountId, hash) as { structure: string } | undefined;
      return row ? decodeStructure(row.structure, null) : null;
    }
    const row = this.statement('SELECT structure, header FROM blobs WHERE account_id = ? AND hash = ?').get(accountId, hash) as { structure: string | Buffer; header: Buffer | null } | undefined;
    if (!row) return null;
    // A compact row's structure was compressed against the raw header block.
    if (typeof row.structure === 'string') return decodeStructure(row.structure, null);
    return decodeStructure(row.structure, row.header && decodeHeader(row.header));
  }

  async blobHeaders(account: string, hashes: string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const accountId = this.accountId(account);
    if (accountId === null || hashes.length === 0 || !this.hasHeaderColumn) return found;
    // typeof reads only the record's type codes, not the structure itself.
    const rows = this.statement("SELECT hash, header, typeof(structure) = 'blob' AS compact FROM blobs WHERE account_id = ? AND hash IN (SELECT value FROM json_each(?)) AND header IS NOT NULL")
      .all(accountId, JSON.stringify(hashes)) as { hash: string; header: Buffer; compact: number }[];
    for (const row of rows) found.set(row.hash, row.compact ? decodeHeader(row.header) : row.header);
    return found;
  }

  async dropDays(account: string, days: DayLabel[]): Promise<DayLabel[]> {
    const accountId = this.accountId(account);
    if (accountId === null || days.length === 0) return [];
    return this.db.transaction(() => {
      // A running capture closes the rows of the capture it started from only as it reaches each
      // folder: dropping that base now would let garbage collection take rows and blobs it reuses,
      // and its rollback could not restore them.
      // A capture whose process died protects nothing (its next run rolls it back).
      const running = (this.statement("SELECT seq, pid FROM captures WHERE account_id = ? AND status = 'running'").all(accountId) as { seq: number; pid: number | null }[])
        .filter(({ pid }) => pid === process.pid || isAlive(pid));
      const bases = new Set(running.map(({ seq }) => this.latestCommitted(accountId, seq)).filter((seq): seq is number => seq !== null));
      const latest = this.latestCommitted(accountId);
      const captures = this.statement("SELECT seq FROM captures WHERE account_id = ? AND label = ? AND status IN ('committed', 'superseded')");
      const drop = this.statement('DELETE FROM captures WHERE seq = ?');
      const dropped: DayLabel[] = [];
      for (const day of days) {
        const seqs = (captures.all(accountId, day) as { seq: number }[]).map(({ seq }) => seq);
        if (seqs.length === 0 || seqs.some((seq) => bases.has(seq))) continue;
        seqs.forEach((seq) => drop.run(seq));
        dropped.push(day);
      }
      if (this.latestCommitted(accountId) !== latest) this.reopenLatest(accountId);
      return dropped;
    }).immediate();
  }

  async collectGarbage(account: string): Promise<string[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    return this.db.transaction(() => {
      // A capture whose process died (and could not even roll itself back, on a full disk) protects
      // nothing: it is rolled back here as its next run would.
      const running = this.statement("SELECT seq, pid FROM captures WHERE account_id = ? AND status = 'running'").all(accountId) as { seq: number; pid: number | null }[];
      for (const { seq, pid } of running) if (pid !== process.pid && !isAlive(pid)) this.rollback(accountId, seq);
      this.statement("DELETE FROM captures WHERE account_id = ? AND status = 'superseded'").run(accountId);
      for (const table of ['message_versions', 'folder_versions']) {
        this.statement(
          `DELETE FROM ${table} WHERE account_id = ? AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.account_id = ${table}.account_id
             AND c.status IN ('committed', 'running') AND c.seq BETWEEN ${table}.first_seq AND ${table}.last_seq)`,
        ).run(accountId);
      }
      const unreferenced = this.statement(
          `SELECT hash FROM blobs b WHERE b.account_id = ?
             AND NOT EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = b.account_id AND m.blob_hash = b.hash)
             AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = b.added_seq AND c.status = 'running')`,
        )
        .all(accountId) as { hash: string }[];
      // Bodies of captures that never committed, kept for the next run to reuse: a prune with no
      // run in progress gives up on them (also those whose blob row the interruption prevented).
      const abandoned = this.statement(
          `SELECT DISTINCT f.blob_hash AS hash FROM fetched_bodies f WHERE f.account_id = ?
             AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = f.capture_seq AND c.status = 'running')
             AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.account_id = f.account_id AND b.hash = f.blob_hash)
             AND NOT EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = f.account_id AND m.blob_hash = f.blob_hash)
             AND NOT EXISTS (SELECT 1 FROM fetched_bodies g JOIN captures c ON c.seq = g.capture_seq AND c.status = 'running'
                               WHERE g.account_id = f.account_id AND g.blob_hash = f.blob_hash)`,
        )
        .all(accountId) as { hash: string }[];
      const forget = this.statement('DELETE FROM blobs WHERE account_id = ? AND hash = ?');
      for (const { hash } of unreferenced) forget.run(accountId, hash);
      // Index rows of every blob no longer listed (also any a crash left between the two writes).
      const unlisted = `SELECT id FROM blob_texts t WHERE t.account_id = ? AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.account_id = t.account_id AND b.hash = t.hash)`;
      this.statement(`DELETE FROM blob_text_trigrams WHERE rowid IN (${unlisted})`).run(accountId);
      this.statement(`DELETE FROM blob_texts WHERE id IN (${unlisted})`).run(accountId);
      this.statement("DELETE FROM fetched_bodies WHERE account_id = ? AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = fetched_bodies.capture_seq AND c.status = 'running')").run(accountId);
      return [...unreferenced, ...abandoned].map((row) => row.hash);
    }).immediate();
  }

  async referencedBlobs(account: string): Promise<BlobRecord[]> {
    const accountId = this.accountId(account);
    if (accountId === null) return [];
    const rows = this.statement(
        `SELECT b.hash, b.size, b.stored_bytes FROM blobs b WHERE b.account_id = ?
           AND EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = b.account_id AND m.blob_hash = b.hash) ORDER BY b.hash`,
      )
      .all(accountId) as { hash: string; size: number; stored_bytes: number }[];
    return rows.map((row) => ({ hash: row.hash, size: row.size, storedBytes: row.stored_bytes }));
  }

  /** Pages the search index's tables and indexes take (SQLite's dbstat), in bytes. */
  searchIndexBytes(): number {
    if (!this.hasSearchTables) return 0;
    const row = this.db
      .prepare("SELECT coalesce(sum(pgsize), 0) AS bytes FROM dbstat WHERE name LIKE 'blob_text%' OR name = 'sqlite_autoindex_blob_texts_1'")
      .get() as { bytes: number };
    return row.bytes;
  }

  /**
   * The last writer to close leaves the catalog in rollback-journal mode: a WAL catalog cannot even
   * be read where its -wal/-shm files cannot be created (a read-only mount, a full disk), and this
   * costs nothing while another process has it open (the switch then fails at once and is skipped).
   */
  async close(): Promise<void> {
    if (!this.readOnly && this.db.open) {
      try {
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // another connection still has it open, or the disk is full: it stays in WAL mode
      }
    }
    this.db.close();
  }
}

/** What checking a catalog file found: `damaged` lists SQLite's own findings, for operators. */
export type CatalogHealth =
  | { state: 'absent' }
  | { state: 'intact' }
  | { state: 'damaged'; problems: string[] }
  | { state: 'unreadable'; problem: string };

/** SQLite's result codes for a damaged file (SQLITE_CORRUPT and SQLITE_NOTADB, with extended codes). */
function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB'));
}

/**
 * Checks a catalog file without changing it (opened read-only, nothing created): SQLite's
 * integrity_check when `thorough` (every page, and every index against its table), else
 * quick_check (every page; linear time). A damaged page otherwise shows only when a query reads
 * it, e.g. every LOGIN failing.
 */
export function checkCatalogFile(file: string, options: { thorough: boolean }): CatalogHealth {
  if (!existsSync(file)) return { state: 'absent' };
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    const rows = db.pragma(options.thorough ? 'integrity_check(100)' : 'quick_check(100)') as Record<string, string>[];
    const problems = rows.map((row) => String(Object.values(row)[0])).filter((line) => line !== 'ok');
    return problems.length === 0 ? { state: 'intact' } : { state: 'damaged', problems };
  } catch (error) {
    if (isCorruption(error)) return { state: 'damaged', problems: [(error as Error).message] };
    return { state: 'unreadable', problem: (error as Error).message };
  } finally {
    db?.close();
  }
}
