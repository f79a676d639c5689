/**
 * The embedded store's restore jobs (see src/recovery/jobs.ts for the contract): a SQLite file of
 * their own, <store.path>/recovery/jobs.sqlite. Claiming a job is one IMMEDIATE transaction, so
 * processes sharing the file (server, CLI) claim exactly once. The work is synchronous; the async
 * methods only meet the JobStore interface (an async function runs up to its first await at once,
 * so the order of calls is the order of writes, as before).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DayLabel } from '../../day-label.js';
import { ACTIVE_JOB_STATUSES as ACTIVE, JobStoreUnavailable, restoresUnavailableText, type ClaimOutcome, type JobChanges, type JobStatus, type JobStore, type RestoreJob } from '../../../recovery/jobs.js';
import type { RestoreRequest } from '../../../recovery/request.js';
import { classifyEmbeddedFailure } from './failures.js';

interface JobRow {
  id: string;
  account: string;
  status: JobStatus;
  requested_on: string;
  owner_host: string;
  owner_pid: number;
  body: string;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS restore_jobs (
  id TEXT PRIMARY KEY, account TEXT NOT NULL, status TEXT NOT NULL, requested_on TEXT NOT NULL,
  owner_host TEXT NOT NULL, owner_pid INTEGER NOT NULL, created_at TEXT NOT NULL, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS restore_jobs_account ON restore_jobs (account, status);
-- One row per account, day and denial reason: the denial recorded (and emailed) for it, and how
-- often it was repeated since. Keeps both the emails and the records of repeated denials bounded.
CREATE TABLE IF NOT EXISTS restore_denials (
  account TEXT NOT NULL, requested_on TEXT NOT NULL, code TEXT NOT NULL, job_id TEXT NOT NULL, repeats INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (account, requested_on, code));`;

export class SqliteJobStore implements JobStore {
  private readonly db: Database.Database;
  /** Why nothing can be recorded (the store could not be written when opened), or null. */
  readonly unavailable: string | null = null;

  constructor(private readonly storePath: string) {
    const directory = join(storePath, 'recovery');
    const file = join(directory, 'jobs.sqlite');
    let db: Database.Database | undefined;
    try {
      mkdirSync(directory, { recursive: true });
      db = new Database(file);
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(SCHEMA);
      // SQLite opens a file it may not write read-only without a word: find out now, not at the first restore.
      db.exec('BEGIN IMMEDIATE');
      db.exec('ROLLBACK');
      this.db = db;
    } catch (error) {
      db?.close();
      const failure = classifyEmbeddedFailure(storePath, error, { opening: true });
      if (!failure?.refusesWrites) throw failure ?? error;
      // Serving goes on from a read-only or full store; only restores (which need a record) are refused.
      this.unavailable = restoresUnavailableText(failure.kind);
      this.db = SqliteJobStore.openForReading(file);
    }
  }

  /** The jobs recorded so far if they can be read, else none. */
  private static openForReading(file: string): Database.Database {
    try {
      const db = new Database(file, { readonly: true, fileMustExist: true });
      db.prepare('SELECT count(*) FROM restore_jobs').get();
      return db;
    } catch {
      const empty = new Database(':memory:');
      empty.exec(SCHEMA);
      return empty;
    }
  }

  /** Every write: refused up front on a store opened unwritable, and a store failing now says so. */
  private write<T>(action: () => T): T {
    if (this.unavailable) throw new JobStoreUnavailable(this.unavailable);
    try {
      return action();
    } catch (error) {
      const failure = classifyEmbeddedFailure(this.storePath, error);
      if (failure?.refusesWrites) throw new JobStoreUnavailable(restoresUnavailableText(failure.kind));
      throw error;
    }
  }

  private toJob(row: JobRow): RestoreJob {
    return { ...(JSON.parse(row.body) as RestoreJob), status: row.status };
  }

  /** Jobs of this host whose process is gone will never finish: they become interrupted. */
  async reapAbandoned(): Promise<RestoreJob[]> {
    return this.write(() => this.reapAbandonedNow());
  }

  private reapAbandonedNow(): RestoreJob[] {
    const rows = this.db
      .prepare(`SELECT * FROM restore_jobs WHERE status IN (${ACTIVE.map(() => '?').join(',')}) AND owner_host = ?`)
      .all(...ACTIVE, hostname()) as JobRow[];
    const reaped: RestoreJob[] = [];
    for (const row of rows) {
      if (row.owner_pid === process.pid || processAlive(row.owner_pid)) continue;
      const job = this.toJob(row);
      reaped.push(this.updateNow(job.id, { status: 'interrupted', reason: 'the process running this restore stopped before it finished' }));
    }
    return reaped;
  }

  /** Atomically: no active job for the account and under the daily limit → a new job in state "deciding". */
  async claim(request: RestoreRequest, requestedOn: DayLabel, maxPerDay: number): Promise<ClaimOutcome> {
    return this.write(() => this.claimNow(request, requestedOn, maxPerDay));
  }

  private claimNow(request: RestoreRequest, requestedOn: DayLabel, maxPerDay: number): ClaimOutcome {
    this.reapAbandonedNow();
    const now = new Date().toISOString();
    return this.db.transaction((): ClaimOutcome => {
      const active = this.db
        .prepare(`SELECT * FROM restore_jobs WHERE account = ? AND status IN (${ACTIVE.map(() => '?').join(',')}) ORDER BY created_at LIMIT 1`)
        .get(request.account, ...ACTIVE) as JobRow | undefined;
      if (active) return { claimed: false, conflict: 'busy', active: this.toJob(active) };
      const { count } = this.db
        .prepare("SELECT COUNT(*) AS count FROM restore_jobs WHERE account = ? AND requested_on = ? AND status <> 'denied'")
        .get(request.account, requestedOn) as { count: number };
      if (count >= maxPerDay) return { claimed: false, conflict: 'limit', count };
      const job: RestoreJob = { id: randomUUID(), account: request.account, status: 'deciding', request, requestedOn, createdAt: now, updatedAt: now, progress: { done: 0, total: 0 } };
      this.db
        .prepare('INSERT INTO restore_jobs (id, account, status, requested_on, owner_host, owner_pid, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
        .run(job.id, job.account, job.status, requestedOn, hostname(), process.pid, now, JSON.stringify(job));
      return { claimed: true, job };
    }).immediate();
  }

  /**
   * Records a denial: the first of its kind (account, day, reason code) becomes a denied job — the
   * claimed one, else a new record — and `first` says it deserves an email; a repeat only counts on
   * that record (and drops the job claimed for it), so flooding requests grows nothing.
   */
  async recordDenial(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): Promise<{ job: RestoreJob; first: boolean }> {
    return this.write(() => this.recordDenialNow(claimedId, request, requestedOn, code, reason));
  }

  private recordDenialNow(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): { job: RestoreJob; first: boolean } {
    return this.db.transaction(() => {
      const earlier = this.db.prepare('SELECT job_id FROM restore_denials WHERE account = ? AND requested_on = ? AND code = ?').get(request.account, requestedOn, code) as { job_id: string } | undefined;
      const existing = earlier ? this.getNow(earlier.job_id) : null;
      if (existing) {
        this.db.prepare('UPDATE restore_denials SET repeats = repeats + 1 WHERE account = ? AND requested_on = ? AND code = ?').run(request.account, requestedOn, code);
        if (claimedId && claimedId !== existing.id) this.db.prepare('DELETE FROM restore_jobs WHERE id = ?').run(claimedId);
        return { job: existing, first: false };
      }
      const job = claimedId ? this.updateNow(claimedId, { status: 'denied', reason }) : this.recordDeniedNow(request, requestedOn, reason);
      this.db.prepare('INSERT OR REPLACE INTO restore_denials (account, requested_on, code, job_id, repeats) VALUES (?, ?, ?, ?, 0)').run(request.account, requestedOn, code, job.id);
      return { job, first: true };
    }).immediate();
  }

  /** How often a denial of this kind was repeated after the recorded one. */
  async denialRepeats(account: string, requestedOn: DayLabel, code: string): Promise<number> {
    const row = this.db.prepare('SELECT repeats FROM restore_denials WHERE account = ? AND requested_on = ? AND code = ?').get(account, requestedOn, code) as { repeats: number } | undefined;
    return row?.repeats ?? 0;
  }

  /** A denial decided before any job could be claimed (busy, limit, bad request) is still recorded. */
  async recordDenied(request: RestoreRequest, requestedOn: DayLabel, reason: string): Promise<RestoreJob> {
    return this.write(() => this.recordDeniedNow(request, requestedOn, reason));
  }

  private recordDeniedNow(request: RestoreRequest, requestedOn: DayLabel, reason: string): RestoreJob {
    const now = new Date().toISOString();
    const job: RestoreJob = { id: randomUUID(), account: request.account, status: 'denied', request, requestedOn, createdAt: now, updatedAt: now, progress: { done: 0, total: 0 }, reason };
    this.db
      .prepare('INSERT INTO restore_jobs (id, account, status, requested_on, owner_host, owner_pid, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(job.id, job.account, job.status, requestedOn, hostname(), process.pid, now, JSON.stringify(job));
    return job;
  }

  /** Puts an interrupted or failed job back in the queue, unless the account has another active restore. */
  async requeue(id: string): Promise<ClaimOutcome> {
    return this.write(() => this.requeueNow(id));
  }

  private requeueNow(id: string): ClaimOutcome {
    this.reapAbandonedNow();
    return this.db.transaction((): ClaimOutcome => {
      const job = this.getNow(id);
      if (!job) throw new Error(`no restore job ${id}`);
      if (job.status !== 'interrupted' && job.status !== 'failed') throw new Error(`restore job ${id} is ${job.status}; only an interrupted or failed job can be run again`);
      const active = this.db
        .prepare(`SELECT * FROM restore_jobs WHERE account = ? AND id <> ? AND status IN (${ACTIVE.map(() => '?').join(',')}) LIMIT 1`)
        .get(job.account, id, ...ACTIVE) as JobRow | undefined;
      if (active) return { claimed: false, conflict: 'busy', active: this.toJob(active) };
      return { claimed: true, job: this.updateNow(id, { status: 'queued', reason: undefined }) };
    }).immediate();
  }

  async update(id: string, changes: JobChanges): Promise<RestoreJob> {
    return this.updateNow(id, changes);
  }

  private updateNow(id: string, changes: JobChanges): RestoreJob {
    return this.write(() => this.db.transaction(() => {
      const current = this.getNow(id);
      if (!current) throw new Error(`no restore job ${id}`);
      const job: RestoreJob = { ...current, ...changes, updatedAt: new Date().toISOString() };
      this.db.prepare('UPDATE restore_jobs SET status = ?, owner_host = ?, owner_pid = ?, body = ? WHERE id = ?').run(job.status, hostname(), process.pid, JSON.stringify(job), id);
      return job;
    })());
  }

  async get(id: string): Promise<RestoreJob | null> {
    return this.getNow(id);
  }

  private getNow(id: string): RestoreJob | null {
    const row = this.db.prepare('SELECT * FROM restore_jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? this.toJob(row) : null;
  }

  async list(account: string, limit = 50): Promise<RestoreJob[]> {
    return (this.db.prepare('SELECT * FROM restore_jobs WHERE account = ? ORDER BY created_at DESC LIMIT ?').all(account, limit) as JobRow[]).map((row) => this.toJob(row));
  }

  async jobAccounts(): Promise<string[]> {
    return (this.db.prepare('SELECT DISTINCT account FROM restore_jobs ORDER BY account').all() as { account: string }[]).map((row) => row.account);
  }

  async importJob(job: RestoreJob): Promise<boolean> {
    return this.write(() => {
      const inserted = this.db
        .prepare('INSERT INTO restore_jobs (id, account, status, requested_on, owner_host, owner_pid, created_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
        .run(job.id, job.account, job.status, job.requestedOn, hostname(), process.pid, job.createdAt, JSON.stringify(job));
      return inserted.changes === 1;
    });
  }

  /** Leaves rollback-journal mode behind, as the catalog does: readable later from a read-only or full store. */
  async close(): Promise<void> {
    if (!this.unavailable && this.db.open) {
      try {
        this.db.pragma('busy_timeout = 0');
        this.db.pragma('journal_mode = DELETE');
      } catch {
        // another process still has it open, or the disk is full: it stays in WAL mode
      }
    }
    this.db.close();
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
