/**
 * The catalog in PostgreSQL, for several instances sharing one store. Same model and semantics as
 * the SQLite catalog (see catalog.ts and sqlite-catalog.ts); what differs is how "one at a time"
 * and "still alive" are decided when the writers are other machines:
 * - every transaction that changes an account's captures or rows first locks the account's row, so
 *   one account's writers take turns (as SQLite's single writer does) while accounts never wait
 *   for each other;
 * - a running capture is alive while the session that started it holds an advisory lock on it. A
 *   process killed on any machine loses its connection and with it the lock, so the next run, on
 *   any instance, rolls the capture back (where SQLite asks whether a pid is alive on this host).
 */
import type pg from 'pg';
import type { DayLabel } from '../../day-label.js';
import type { MessageStructure } from '../../../mail/structure.js';
import { decodeHeader, decodeStructure, encodeHeader, encodeStructure } from '../catalog-encoding.js';
import { OPEN, type BlobRecord, type Capture, type Catalog, type DaySummary, type FolderRecord, type MessageRecord, type NewBlob, type ReusableMessage } from '../catalog.js';
import { describePostgresFailure, inTransaction, migrate, openClient, openPool, queryOnce } from './connection.js';

/** First key of the advisory locks that mark running captures ("mtm" + 1); the second is the capture's seq. */
const CAPTURE_LOCK_NAMESPACE = 0x6d746d01;
const lockKey = (seq: number): number => seq % 2147483647;
const ALIVE = `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = ${CAPTURE_LOCK_NAMESPACE} AND l.objid::bigint = c.seq % 2147483647)`;

/**
 * Captures whose lock a catalog of this process holds, per database URL: like SQLite's
 * `pid === process.pid`, a capture of this process is never mistaken for another instance's.
 */
const heldInThisProcess = new Map<string, Set<number>>();

interface FolderRow {
  id: number; name: string; delimiter: string; uid_validity: number; uid_next: number; highest_modseq: number | null;
  subscribed: boolean; special_use: string | null; messages: number; bytes: number;
}
interface MessageRow { id: number; uid: number; flags: string; internal_date: number; size: number; blob_hash: string; first_seq: number }
interface ReusableRow { folder: string; uid_validity: number; uid: number; size: number; internal_date: number; blob_hash: string }

function toFolder(row: FolderRow): FolderRecord {
  return {
    name: row.name, delimiter: row.delimiter, uidValidity: row.uid_validity, uidNext: row.uid_next,
    highestModseq: row.highest_modseq, subscribed: row.subscribed, specialUse: row.special_use,
    messages: row.messages, bytes: row.bytes,
  };
}

function toMessage(row: MessageRow): MessageRecord {
  return { uid: row.uid, flags: JSON.parse(row.flags) as string[], internalDate: new Date(row.internal_date), size: row.size, blobHash: row.blob_hash };
}

function toReusable(row: ReusableRow): ReusableMessage {
  return { folder: row.folder, uidValidity: row.uid_validity, uid: row.uid, size: row.size, internalDate: row.internal_date, blobHash: row.blob_hash };
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/** pg_trgm extracts no trigram from a shorter needle: the index cannot narrow the search. */
const MIN_NEEDLE_CHARACTERS = 3;
const TRIGRAM_INDEX = 'blob_texts_trigrams';

/** A LIKE pattern for "contains needle": its %, _ and the escape character taken literally. */
function containsPattern(needle: string): string {
  return `%${needle.replace(/[\\%_]/g, '\\$&')}%`;
}

/**
 * PostgreSQL text cannot hold NUL. A NUL becomes a blank: a needle without NUL (the only kind asked
 * for) that the text held is still there, and an extra match only lets one more candidate through.
 */
const storableText = (text: string): string => text.replace(/\0/g, ' ');

export class PostgresCatalog implements Catalog {
  /** Set by enableSearchIndex once the trigram index exists. */
  searchIndex = false;
  private readonly held: Set<number>;
  private closed = false;
  /** The session whose advisory locks say this catalog's captures are alive; opened with the first capture. */
  private liveness: Promise<pg.Client> | null = null;

  private constructor(private readonly url: string, private readonly pool: pg.Pool, private readonly ownsPool: boolean) {
    let held = heldInThisProcess.get(url);
    if (!held) heldInThisProcess.set(url, (held = new Set()));
    this.held = held;
  }

  /** Connects and brings the schema up to date; fails with the server and the cause named. */
  static async open(url: string, options: { poolSize?: number; searchIndex?: boolean } = {}): Promise<PostgresCatalog> {
    const pool = openPool(url, { max: options.poolSize });
    const catalog = new PostgresCatalog(url, pool, true);
    try {
      await migrate(pool);
    } catch (error) {
      await pool.end().catch(() => {});
      throw catalog.failure(error);
    }
    if (options.searchIndex ?? true) await catalog.enableSearchIndex();
    return catalog;
  }

  /** On a pool the caller migrated and closes (the PostgreSQL store shares one with its job store). */
  static onPool(url: string, pool: pg.Pool): PostgresCatalog {
    return new PostgresCatalog(url, pool, false);
  }

  /**
   * Makes (or finds) the trigram index the search index needs, and turns the index on. Returns why
   * it cannot (pg_trgm not installed on the server, no right to create it, a read-only standby)
   * instead of failing: SEARCH then reads every message, as without the index.
   */
  async enableSearchIndex(): Promise<string | null> {
    const exists = async () => (await this.query('SELECT 1 FROM pg_indexes WHERE indexname = $1', [TRIGRAM_INDEX])).length > 0;
    try {
      if (!(await exists())) {
        try {
          await this.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
          await this.query(`CREATE INDEX IF NOT EXISTS ${TRIGRAM_INDEX} ON blob_texts USING gin (text gin_trgm_ops)`);
        } catch (error) {
          // Another instance starting at the same moment may have made it first.
          if (!(await exists())) throw error;
        }
      }
      this.searchIndex = true;
      return null;
    } catch (error) {
      return `no search index in PostgreSQL (SEARCH TEXT/BODY read every message): ${(error as Error).message}`;
    }
  }

  private failure(error: unknown): unknown {
    return describePostgresFailure(this.url, error) ?? error;
  }

  /** One statement: a read or an idempotent write unless told otherwise (see queryOnce). */
  private async query<Row extends pg.QueryResultRow>(sql: string, params: unknown[] = [], idempotent = true): Promise<Row[]> {
    try {
      return await queryOnce<Row>(this.pool, sql, params, { idempotent });
    } catch (error) {
      throw this.failure(error);
    }
  }

  private async transaction<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    try {
      return await inTransaction(this.pool, work);
    } catch (error) {
      throw this.failure(error);
    }
  }

  /** Account rows are never deleted, so an id once seen stays right (also for other instances' inserts). */
  private readonly accountIds = new Map<string, number>();

  private async accountId(account: string, create = false): Promise<number | null> {
    const known = this.accountIds.get(account);
    if (known !== undefined) return known;
    let [row] = await this.query<{ id: number }>('SELECT id FROM accounts WHERE name = $1', [account]);
    if (!row && create) {
      [row] = await this.query<{ id: number }>(
        'INSERT INTO accounts (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id',
        [account],
      );
    }
    if (row) this.accountIds.set(account, row.id);
    return row?.id ?? null;
  }

  private async requireAccount(capture: Capture): Promise<number> {
    const id = await this.accountId(capture.account);
    if (id === null) throw new Error(`unknown account ${capture.account}`);
    return id;
  }

  /** The account's writers take turns: held until the transaction ends. */
  private async lockAccount(db: Queryable, accountId: number): Promise<void> {
    await db.query('SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE', [accountId]);
  }

  /**
   * Retention reads the account's rows through the indexes led by account_id, never a whole table:
   * where one account holds a sizeable share of a table (a few big accounts) the planner would
   * otherwise pick a sequential scan and read every other account's rows too (measured in
   * docs/deployment.md, "PostgreSQL catalog"). For this transaction only.
   */
  private async onlyThisAccount(db: Queryable): Promise<void> {
    await db.query('SET LOCAL enable_seqscan = off');
  }

  private livenessSession(): Promise<pg.Client> {
    if (!this.liveness) {
      const client = openClient(this.url);
      let session: Promise<pg.Client> | null = null;
      const forget = () => {
        if (this.liveness !== session) return;
        // Its locks went with it: the captures it held are now dead to every instance, this one included.
        for (const seq of this.ownLocks) this.held.delete(seq);
        this.ownLocks.clear();
        this.liveness = null;
      };
      client.on('error', forget);
      client.on('end', forget);
      this.liveness = session = client.connect().then(
        () => client,
        (error) => {
          forget();
          throw this.failure(error);
        },
      );
    }
    return this.liveness;
  }

  /** The captures whose lock this catalog's own liveness session holds. */
  private readonly ownLocks = new Set<number>();

  private async holdCapture(seq: number): Promise<void> {
    const session = await this.livenessSession();
    try {
      await session.query('SELECT pg_advisory_lock($1, $2)', [CAPTURE_LOCK_NAMESPACE, lockKey(seq)]);
    } catch (error) {
      throw this.failure(error);
    }
    this.ownLocks.add(seq);
    this.held.add(seq);
  }

  private async releaseCapture(seq: number): Promise<void> {
    this.held.delete(seq);
    if (!this.ownLocks.delete(seq) || !this.liveness) return;
    try {
      const session = await this.liveness;
      await session.query('SELECT pg_advisory_unlock($1, $2)', [CAPTURE_LOCK_NAMESPACE, lockKey(seq)]);
    } catch {
      // The session is gone, and its locks with it.
    }
  }

  private async runningCaptures(db: Queryable, accountId: number): Promise<{ seq: number; ours: boolean; alive: boolean }[]> {
    const { rows } = await db.query<{ seq: number; alive: boolean }>(
      `SELECT c.seq, ${ALIVE} AS alive FROM captures c WHERE c.account_id = $1 AND c.status = 'running' ORDER BY c.seq`,
      [accountId],
    );
    return rows.map(({ seq, alive }) => ({ seq, alive, ours: this.held.has(seq) }));
  }

  private async latestCommitted(db: Queryable, accountId: number, below = Number.MAX_SAFE_INTEGER): Promise<number | null> {
    const { rows } = await db.query<{ seq: number | null }>(
      "SELECT max(seq) AS seq FROM captures WHERE account_id = $1 AND status IN ('committed', 'superseded') AND seq < $2",
      [accountId, below],
    );
    return rows[0].seq;
  }

  async accounts(): Promise<string[]> {
    return (await this.query<{ name: string }>('SELECT name FROM accounts ORDER BY name')).map((row) => row.name);
  }

  async startCapture(account: string, label: DayLabel): Promise<{ capture: Capture; salvaged: ReusableMessage[] }> {
    const accountId = (await this.accountId(account, true))!;
    await this.livenessSession();
    let started: number | null = null;
    try {
      return await this.transaction(async (db) => {
        await this.lockAccount(db, accountId);
        const salvaged: ReusableMessage[] = [];
        const running = await this.runningCaptures(db, accountId);
        for (const stale of running) {
          if (!stale.ours && stale.alive) throw new Error(`another snapshot of ${account} is running (capture ${stale.seq}, on another instance)`);
          salvaged.push(...(await this.salvage(db, accountId, stale.seq)));
          await this.rollback(db, accountId, stale.seq);
        }
        // Every body an interrupted or failed capture stored, finished folder or not: no capture of
        // the account is running now, so all of them belong to captures that will never commit.
        const fetched = await db.query<ReusableRow>('SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM fetched_bodies WHERE account_id = $1', [accountId]);
        salvaged.push(...fetched.rows.map(toReusable));
        const previousSeq = await this.latestCommitted(db, accountId);
        const { rows } = await db.query<{ seq: number }>("INSERT INTO captures (account_id, label, status) VALUES ($1, $2, 'running') RETURNING seq", [accountId, label]);
        const seq = rows[0].seq;
        // Locked before the row is committed, so no other instance ever sees it running and unlocked.
        await this.holdCapture((started = seq));
        // Blobs the interrupted captures fetched now belong to this one: it reuses them (salvaged or
        // found in the blob store), so garbage collection must treat them as in use while it runs.
        // Their progress rows move along, so a second interruption loses nothing either.
        const staleSeqs = running.map(({ seq: stale }) => stale);
        if (staleSeqs.length > 0) await db.query('UPDATE blobs SET added_seq = $1 WHERE account_id = $2 AND added_seq = ANY($3::bigint[])', [seq, accountId, staleSeqs]);
        await db.query('UPDATE blobs SET added_seq = $1 WHERE account_id = $2 AND hash IN (SELECT blob_hash FROM fetched_bodies WHERE account_id = $2)', [seq, accountId]);
        await db.query('UPDATE fetched_bodies SET capture_seq = $1 WHERE account_id = $2', [seq, accountId]);
        for (const { seq: stale } of running) await this.releaseCapture(stale);
        return { capture: { seq, account, label, previousSeq }, salvaged };
      });
    } catch (error) {
      if (started !== null) await this.releaseCapture(started);
      throw error;
    }
  }

  private async salvage(db: Queryable, accountId: number, seq: number): Promise<ReusableMessage[]> {
    const { rows } = await db.query<ReusableRow>('SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM message_versions WHERE account_id = $1 AND first_seq = $2', [accountId, seq]);
    return rows.map(toReusable);
  }

  /** Deletes the rows the capture started and reopens those it closed (see catalog.ts). */
  private async rollback(db: Queryable, accountId: number, seq: number): Promise<void> {
    const previous = (await this.latestCommitted(db, accountId, seq)) ?? 0;
    for (const table of ['message_versions', 'folder_versions']) {
      await db.query(`DELETE FROM ${table} WHERE account_id = $1 AND first_seq = $2`, [accountId, seq]);
      await db.query(`UPDATE ${table} SET last_seq = $1 WHERE account_id = $2 AND last_seq = $3`, [OPEN, accountId, previous]);
    }
    await db.query('DELETE FROM captures WHERE seq = $1', [seq]);
  }

  /**
   * Ends open rows for this capture: closed at its previous capture, or deleted where the capture
   * itself started them (a folder recorded twice).
   */
  private async retire(db: Queryable, table: 'message_versions' | 'folder_versions', rows: { id: number; first_seq: number }[], capture: Capture): Promise<void> {
    const own = rows.filter((row) => row.first_seq === capture.seq).map(({ id }) => id);
    const older = rows.filter((row) => row.first_seq !== capture.seq).map(({ id }) => id);
    if (own.length > 0) await db.query(`DELETE FROM ${table} WHERE id = ANY($1::bigint[])`, [own]);
    if (older.length > 0) await db.query(`UPDATE ${table} SET last_seq = $1 WHERE id = ANY($2::bigint[])`, [capture.previousSeq ?? 0, older]);
  }

  /**
   * After the latest committed capture was dropped: makes the open rows the state of the one now
   * latest (or none), as if the dropped captures had never run. No live capture builds on a dropped
   * day (dropDays keeps those), so rows started after the new latest belong to nobody.
   */
  private async reopenLatest(db: Queryable, accountId: number): Promise<void> {
    const latest = (await this.latestCommitted(db, accountId)) ?? 0;
    for (const table of ['message_versions', 'folder_versions']) {
      await db.query(`DELETE FROM ${table} WHERE account_id = $1 AND first_seq > $2`, [accountId, latest]);
      await db.query(`UPDATE ${table} SET last_seq = $1 WHERE account_id = $2 AND last_seq >= $3 AND last_seq < $1 AND first_seq <= $3`, [OPEN, accountId, latest]);
    }
  }

  /**
   * One folder's writes (or a fetch batch's blob rows) in one transaction whose commit does not wait
   * for its WAL flush (synchronous_commit = off): one flush per account's capture instead of one per
   * folder. Safe because the WAL is one sequential log: commitCapture's transaction commits
   * synchronously, and flushing its commit record flushes every record before it. A server crash
   * before that loses at most the latest of these transactions (never a part of one), all of them
   * belonging to a capture that is still 'running' (startCapture commits that synchronously), which
   * the next run rolls back as it would anyway: deleting what the capture started and reopening
   * what it closed is right for any prefix of its writes. Lost blob rows only cost a re-analysis
   * of their objects (fetched_bodies salvage).
   */
  private perFolderTransaction<T>(work: (db: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(async (db) => {
      await db.query('SET LOCAL synchronous_commit = off');
      return work(db);
    });
  }

  async recordFolder(capture: Capture, folder: FolderRecord, messages: MessageRecord[]): Promise<void> {
    const accountId = await this.requireAccount(capture);
    await this.perFolderTransaction(async (db) => {
      await this.lockAccount(db, accountId);
      const { rows: [existing] } = await db.query<FolderRow & { first_seq: number }>(
        'SELECT * FROM folder_versions WHERE account_id = $1 AND name = $2 AND uid_validity = $3 AND last_seq = $4 ORDER BY id LIMIT 1',
        [accountId, folder.name, folder.uidValidity, OPEN],
      );
      const same = existing && existing.delimiter === folder.delimiter && existing.uid_next === folder.uidNext &&
        existing.highest_modseq === folder.highestModseq && existing.subscribed === folder.subscribed &&
        existing.special_use === folder.specialUse && existing.messages === folder.messages && existing.bytes === folder.bytes;
      if (same) {
        await db.query('UPDATE folder_versions SET recorded_seq = $1 WHERE id = $2', [capture.seq, existing.id]);
      } else {
        if (existing) await this.retire(db, 'folder_versions', [existing], capture);
        await db.query(
          `INSERT INTO folder_versions (account_id, name, delimiter, uid_validity, uid_next, highest_modseq, subscribed, special_use, messages, bytes, first_seq, last_seq, recorded_seq)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11)`,
          [accountId, folder.name, folder.delimiter, folder.uidValidity, folder.uidNext, folder.highestModseq, folder.subscribed, folder.specialUse, folder.messages, folder.bytes, capture.seq, OPEN],
        );
      }
      const before = new Map<number, MessageRow>();
      const { rows } = await db.query<MessageRow>(
        'SELECT id, uid, flags, internal_date, size, blob_hash, first_seq FROM message_versions WHERE account_id = $1 AND folder = $2 AND uid_validity = $3 AND last_seq = $4 ORDER BY id',
        [accountId, folder.name, folder.uidValidity, OPEN],
      );
      for (const row of rows) before.set(row.uid, row);
      // Whole arrays per statement: a folder of 100,000 messages is a few round trips, not 100,000.
      const replaced: MessageRow[] = [];
      const added = { uid: [] as number[], hash: [] as string[], flags: [] as string[], date: [] as number[], size: [] as number[] };
      for (const message of messages) {
        const flags = JSON.stringify([...message.flags].sort());
        const old = before.get(message.uid);
        before.delete(message.uid);
        if (old && old.flags === flags && old.blob_hash === message.blobHash && old.internal_date === message.internalDate.getTime() && old.size === message.size) continue;
        if (old) replaced.push(old);
        added.uid.push(message.uid);
        added.hash.push(message.blobHash);
        added.flags.push(flags);
        added.date.push(message.internalDate.getTime());
        added.size.push(message.size);
      }
      // Changed, and gone from the live folder.
      await this.retire(db, 'message_versions', [...replaced, ...before.values()], capture);
      if (added.uid.length > 0) {
        await db.query(
          `INSERT INTO message_versions (account_id, folder, uid_validity, uid, blob_hash, flags, internal_date, size, first_seq, last_seq)
           SELECT $1, $2, $3, m.uid, m.blob_hash, m.flags, m.internal_date, m.size, $4, $10
           FROM unnest($5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::bigint[]) WITH ORDINALITY AS m(uid, blob_hash, flags, internal_date, size, n)
           ORDER BY m.n`,
          [accountId, folder.name, folder.uidValidity, capture.seq, added.uid, added.hash, added.flags, added.date, added.size, OPEN],
        );
      }
    });
  }

  async carryFolderForward(capture: Capture, name: string, uidValidity: number): Promise<void> {
    const accountId = await this.requireAccount(capture);
    // The open rows already say it all: only note that this capture saw the folder.
    await this.perFolderTransaction(async (db) => {
      await this.lockAccount(db, accountId);
      await db.query('UPDATE folder_versions SET recorded_seq = $1 WHERE account_id = $2 AND name = $3 AND uid_validity = $4 AND last_seq = $5', [capture.seq, accountId, name, uidValidity, OPEN]);
    });
  }

  async addBlobs(account: string, blobs: NewBlob[], capture: Capture): Promise<void> {
    if (blobs.length === 0) return;
    const accountId = (await this.accountId(account, true))!;
    // One statement per fetch batch, flushed with the capture's commit (see perFolderTransaction).
    await this.perFolderTransaction(async (db) => {
      await this.lockAccount(db, accountId);
      await db.query(
        // Compact rows: structure_z set (structure NULL) tells that the header is encoded too.
        `INSERT INTO blobs (account_id, hash, size, stored_bytes, structure_z, added_seq, header)
         SELECT $1, b.hash, b.size, b.stored_bytes, b.structure_z, $2, b.header
         FROM unnest($3::text[], $4::bigint[], $5::bigint[], $6::bytea[], $7::bytea[]) AS b(hash, size, stored_bytes, structure_z, header)
         ON CONFLICT (account_id, hash) DO NOTHING`,
        [
          accountId, capture.seq, blobs.map(({ blob }) => blob.hash), blobs.map(({ blob }) => blob.size), blobs.map(({ blob }) => blob.storedBytes),
          blobs.map(({ structure, header }) => encodeStructure(structure, header ?? null)), blobs.map(({ header }) => (header ? encodeHeader(header) : null)),
        ],
      );
      const texts = this.searchIndex ? blobs.filter(({ searchText }) => searchText) : [];
      if (texts.length === 0) return;
      await db.query(
        `INSERT INTO blob_texts (account_id, hash, version, text)
         SELECT $1, t.hash, t.version, t.text FROM unnest($2::text[], $3::integer[], $4::text[]) AS t(hash, version, text)
         ON CONFLICT (account_id, hash) DO UPDATE SET version = excluded.version, text = excluded.text WHERE blob_texts.version <> excluded.version`,
        [accountId, texts.map(({ blob }) => blob.hash), texts.map(({ searchText }) => searchText!.version), texts.map(({ searchText }) => storableText(searchText!.text))],
      );
    });
  }

  /** Table, TOAST and indexes of the search index, in bytes. */
  async searchIndexBytes(): Promise<number> {
    const rows = await this.query<{ bytes: string }>("SELECT pg_total_relation_size('blob_texts') AS bytes");
    return Number(rows[0].bytes);
  }

  async textCandidates(account: string, hashes: string[], needle: string, version: number): Promise<Set<string> | null> {
    if (!this.searchIndex || [...needle].length < MIN_NEEDLE_CHARACTERS || needle.includes('\0')) return null;
    const accountId = await this.accountId(account);
    if (accountId === null) return null;
    // The matches come from the trigram index in one go; blobs without a row of this version are
    // candidates. The planner does not count the cost of reading the (TOASTed) texts and would scan
    // them all, 15× slower at 20,000 messages: only the trigram index may answer the LIKE, and the
    // account and version are checked on its answer (the fence keeps the primary key out of it).
    return this.transaction(async (db) => {
      await db.query('SET LOCAL enable_seqscan = off');
      const { rows } = await db.query<{ hash: string }>(
        `WITH matched AS MATERIALIZED (
           SELECT hash FROM (SELECT account_id, hash, version FROM blob_texts WHERE text LIKE $4 OFFSET 0) AS m WHERE account_id = $1 AND version = $3)
         SELECT h.hash FROM unnest($2::text[]) AS h(hash)
         WHERE h.hash IN (SELECT hash FROM matched)
            OR NOT EXISTS (SELECT 1 FROM blob_texts t WHERE t.account_id = $1 AND t.hash = h.hash AND t.version = $3)`,
        [accountId, hashes, version, containsPattern(needle)],
      );
      return new Set(rows.map((row) => row.hash));
    });
  }

  async recordFetched(capture: Capture, message: ReusableMessage): Promise<void> {
    const accountId = await this.requireAccount(capture);
    await this.query(
      'INSERT INTO fetched_bodies (account_id, capture_seq, folder, uid_validity, uid, size, internal_date, blob_hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [accountId, capture.seq, message.folder, message.uidValidity, message.uid, message.size, message.internalDate, message.blobHash],
      false,
    );
  }

  async hasBlob(account: string, hash: string): Promise<boolean> {
    const accountId = await this.accountId(account);
    if (accountId === null) return false;
    return (await this.query('SELECT 1 FROM blobs WHERE account_id = $1 AND hash = $2', [accountId, hash])).length > 0;
  }

  async commitCapture(capture: Capture): Promise<void> {
    const accountId = await this.requireAccount(capture);
    try {
      await this.transaction(async (db) => {
        await this.lockAccount(db, accountId);
        // Folders this capture neither recorded nor carried forward are gone from the live server:
        // they end, with their messages, at the previous capture.
        const previous = capture.previousSeq ?? 0;
        const { rows: unseen } = await db.query<{ id: number; name: string; uid_validity: number }>(
          'SELECT id, name, uid_validity FROM folder_versions WHERE account_id = $1 AND last_seq = $2 AND recorded_seq < $3',
          [accountId, OPEN, capture.seq],
        );
        for (const folder of unseen) {
          await db.query('UPDATE message_versions SET last_seq = $1 WHERE account_id = $2 AND folder = $3 AND uid_validity = $4 AND last_seq = $5', [previous, accountId, folder.name, folder.uid_validity, OPEN]);
          await db.query('UPDATE folder_versions SET last_seq = $1 WHERE id = $2', [previous, folder.id]);
        }
        await db.query("UPDATE captures SET status = 'superseded' WHERE account_id = $1 AND label = $2 AND status = 'committed'", [accountId, capture.label]);
        const changed = await db.query("UPDATE captures SET status = 'committed', committed_at = now() WHERE seq = $1 AND status = 'running'", [capture.seq]);
        if (changed.rowCount !== 1) throw new Error(`capture ${capture.seq} of ${capture.account} is no longer running`);
        await db.query('DELETE FROM fetched_bodies WHERE account_id = $1', [accountId]);
      });
    } finally {
      await this.releaseCapture(capture.seq);
    }
  }

  async abandonCapture(capture: Capture): Promise<void> {
    const accountId = await this.accountId(capture.account);
    try {
      if (accountId !== null) {
        await this.transaction(async (db) => {
          await this.lockAccount(db, accountId);
          await this.rollback(db, accountId, capture.seq);
        });
      }
    } finally {
      await this.releaseCapture(capture.seq);
    }
  }

  async days(account: string): Promise<DaySummary[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    const rows = await this.query<{ seq: number; label: string; folders: number; messages: number; bytes: number }>(
      `SELECT c.seq, c.label, count(f.id) AS folders, coalesce(sum(f.messages), 0)::bigint AS messages, coalesce(sum(f.bytes), 0)::bigint AS bytes
       FROM captures c LEFT JOIN folder_versions f ON f.account_id = c.account_id AND f.last_seq >= c.seq AND f.first_seq <= c.seq
       WHERE c.account_id = $1 AND c.status = 'committed' GROUP BY c.seq, c.label ORDER BY c.label`,
      [accountId],
    );
    return rows.map(({ seq, label, folders, messages, bytes }) => ({ day: label, seq, folders, messages, bytes }));
  }

  async captureForDay(account: string, day: DayLabel): Promise<number | null> {
    const accountId = await this.accountId(account);
    if (accountId === null) return null;
    const [row] = await this.query<{ seq: number }>("SELECT seq FROM captures WHERE account_id = $1 AND label = $2 AND status = 'committed'", [accountId, day]);
    return row?.seq ?? null;
  }

  async folders(account: string, seq: number): Promise<FolderRecord[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    const rows = await this.query<FolderRow>('SELECT * FROM folder_versions WHERE account_id = $1 AND last_seq >= $2 AND first_seq <= $2 ORDER BY name', [accountId, seq]);
    return rows.map(toFolder);
  }

  async messages(account: string, seq: number, folder: string, uidValidity: number): Promise<MessageRecord[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    const rows = await this.query<MessageRow>(
      'SELECT id, uid, flags, internal_date, size, blob_hash FROM message_versions WHERE account_id = $1 AND folder = $2 AND uid_validity = $3 AND last_seq >= $4 AND first_seq <= $4 ORDER BY uid',
      [accountId, folder, uidValidity, seq],
    );
    return rows.map(toMessage);
  }

  async reusableMessages(account: string, seq: number): Promise<ReusableMessage[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    const rows = await this.query<ReusableRow>(
      'SELECT folder, uid_validity, uid, size, internal_date, blob_hash FROM message_versions WHERE account_id = $1 AND last_seq >= $2 AND first_seq <= $2',
      [accountId, seq],
    );
    return rows.map(toReusable);
  }

  async blobStructure(account: string, hash: string): Promise<MessageStructure | null> {
    const accountId = await this.accountId(account);
    if (accountId === null) return null;
    const [row] = await this.query<{ structure: string | null; structure_z: Buffer | null; header: Buffer | null }>(
      'SELECT structure, structure_z, header FROM blobs WHERE account_id = $1 AND hash = $2',
      [accountId, hash],
    );
    if (!row) return null;
    // A compact row's structure was compressed against the raw header block.
    if (row.structure_z === null) return decodeStructure(row.structure!, null);
    return decodeStructure(row.structure_z, row.header && decodeHeader(row.header));
  }

  async blobHeaders(account: string, hashes: string[]): Promise<Map<string, Buffer>> {
    const found = new Map<string, Buffer>();
    const accountId = await this.accountId(account);
    if (accountId === null || hashes.length === 0) return found;
    const rows = await this.query<{ hash: string; header: Buffer; compact: boolean }>(
      'SELECT hash, header, structure_z IS NOT NULL AS compact FROM blobs WHERE account_id = $1 AND hash = ANY($2::text[]) AND header IS NOT NULL',
      [accountId, hashes],
    );
    for (const row of rows) found.set(row.hash, row.compact ? decodeHeader(row.header) : row.header);
    return found;
  }

  async dropDays(account: string, days: DayLabel[]): Promise<DayLabel[]> {
    const accountId = await this.accountId(account);
    if (accountId === null || days.length === 0) return [];
    return this.transaction(async (db) => {
      await this.lockAccount(db, accountId);
      await this.onlyThisAccount(db);
      // A running capture closes the rows of the capture it started from only as it reaches each
      // folder: dropping that base now would let garbage collection take rows and blobs it reuses,
      // and its rollback could not restore them.
      // A capture whose process died protects nothing (its next run rolls it back).
      const running = (await this.runningCaptures(db, accountId)).filter(({ ours, alive }) => ours || alive);
      const bases = new Set<number>();
      for (const { seq } of running) {
        const base = await this.latestCommitted(db, accountId, seq);
        if (base !== null) bases.add(base);
      }
      const latest = await this.latestCommitted(db, accountId);
      const dropped: DayLabel[] = [];
      for (const day of days) {
        const { rows } = await db.query<{ seq: number }>("SELECT seq FROM captures WHERE account_id = $1 AND label = $2 AND status IN ('committed', 'superseded')", [accountId, day]);
        const seqs = rows.map(({ seq }) => seq);
        if (seqs.length === 0 || seqs.some((seq) => bases.has(seq))) continue;
        await db.query('DELETE FROM captures WHERE seq = ANY($1::bigint[])', [seqs]);
        dropped.push(day);
      }
      if ((await this.latestCommitted(db, accountId)) !== latest) await this.reopenLatest(db, accountId);
      return dropped;
    });
  }

  async collectGarbage(account: string): Promise<string[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    return this.transaction(async (db) => {
      await this.lockAccount(db, accountId);
      await this.onlyThisAccount(db);
      // A capture whose process died protects nothing: it is rolled back here as its next run would.
      for (const { seq, ours, alive } of await this.runningCaptures(db, accountId)) if (!ours && !alive) await this.rollback(db, accountId, seq);
      await db.query("DELETE FROM captures WHERE account_id = $1 AND status = 'superseded'", [accountId]);
      for (const table of ['message_versions', 'folder_versions']) {
        await db.query(
          `DELETE FROM ${table} t WHERE t.account_id = $1 AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.account_id = t.account_id
             AND c.status IN ('committed', 'running') AND c.seq BETWEEN t.first_seq AND t.last_seq)`,
          [accountId],
        );
      }
      const unreferenced = await db.query<{ hash: string }>(
        `SELECT hash FROM blobs b WHERE b.account_id = $1
           AND NOT EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = b.account_id AND m.blob_hash = b.hash)
           AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = b.added_seq AND c.status = 'running')`,
        [accountId],
      );
      // Bodies of captures that never committed, kept for the next run to reuse: a prune with no
      // run in progress gives up on them (also those whose blob row the interruption prevented).
      const abandoned = await db.query<{ hash: string }>(
        `SELECT DISTINCT f.blob_hash AS hash FROM fetched_bodies f WHERE f.account_id = $1
           AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = f.capture_seq AND c.status = 'running')
           AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.account_id = f.account_id AND b.hash = f.blob_hash)
           AND NOT EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = f.account_id AND m.blob_hash = f.blob_hash)
           AND NOT EXISTS (SELECT 1 FROM fetched_bodies g JOIN captures c ON c.seq = g.capture_seq AND c.status = 'running'
                             WHERE g.account_id = f.account_id AND g.blob_hash = f.blob_hash)`,
        [accountId],
      );
      const forgotten = unreferenced.rows.map(({ hash }) => hash);
      if (forgotten.length > 0) await db.query('DELETE FROM blobs WHERE account_id = $1 AND hash = ANY($2::text[])', [accountId, forgotten]);
      // Index rows of every blob no longer listed.
      await db.query('DELETE FROM blob_texts t WHERE t.account_id = $1 AND NOT EXISTS (SELECT 1 FROM blobs b WHERE b.account_id = t.account_id AND b.hash = t.hash)', [accountId]);
      await db.query("DELETE FROM fetched_bodies f WHERE f.account_id = $1 AND NOT EXISTS (SELECT 1 FROM captures c WHERE c.seq = f.capture_seq AND c.status = 'running')", [accountId]);
      return [...forgotten, ...abandoned.rows.map(({ hash }) => hash)];
    });
  }

  async referencedBlobs(account: string): Promise<BlobRecord[]> {
    const accountId = await this.accountId(account);
    if (accountId === null) return [];
    const rows = await this.query<{ hash: string; size: number; stored_bytes: number }>(
      `SELECT b.hash, b.size, b.stored_bytes FROM blobs b WHERE b.account_id = $1
         AND EXISTS (SELECT 1 FROM message_versions m WHERE m.account_id = b.account_id AND m.blob_hash = b.hash) ORDER BY b.hash`,
      [accountId],
    );
    return rows.map((row) => ({ hash: row.hash, size: row.size, storedBytes: row.stored_bytes }));
  }

  /** Ends the pool and the liveness session: captures still running become dead to every instance, as when a process exits. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const liveness = this.liveness;
    this.liveness = null;
    for (const seq of this.ownLocks) this.held.delete(seq);
    this.ownLocks.clear();
    if (liveness) await liveness.then((client) => client.end(), () => {}).catch(() => {});
    if (this.ownsPool) await this.pool.end();
  }
}
