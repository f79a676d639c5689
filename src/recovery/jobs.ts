/**
 * Restore jobs: a record per request (accepted or denied) in <store.path>/recovery/jobs.sqlite, so
 * status and progress survive a restart and several processes (server, CLI) see each other's
 * restores. Claiming a job is one transaction: it fails when the account already has an active
 * restore or has used up its requests for the day. A job left active by a process that died is
 * marked interrupted and can be run again (restores are idempotent).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { DayLabel } from '../snapshots/day-label.js';
import { cannotWrite, describeStoreFailure } from '../snapshots/store/store.js';
import type { RestorePreview, RestoreResult } from './engine.js';
import type { RestoreRequest } from './request.js';

export type JobStatus = 'deciding' | 'queued' | 'running' | 'done' | 'failed' | 'denied' | 'interrupted';

const ACTIVE: JobStatus[] = ['deciding', 'queued', 'running'];

export interface JobProgress {
  done: number;
  total: number;
  folder?: string;
}

export interface RestoreJob {
  id: string;
  account: string;
  status: JobStatus;
  request: RestoreRequest;
  /** Calendar day (snapshot.timezone) the request was made: what recovery.maxPerDay counts. */
  requestedOn: DayLabel;
  createdAt: string;
  updatedAt: string;
  progress: JobProgress;
  preview?: RestorePreview;
  result?: RestoreResult;
  /** Why it was denied or failed, in words for the user. */
  reason?: string;
  /** Its email could not be delivered yet (the live server was unreachable); sent at the next contact. */
  noticePending?: boolean;
}

export type ClaimOutcome = { claimed: true; job: RestoreJob } | { claimed: false; conflict: 'busy'; active: RestoreJob } | { claimed: false; conflict: 'limit'; count: number };

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

/** A restore cannot be recorded (the store is read-only or full): it is refused with this, in words for the user. */
export class JobStoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStoreUnavailable';
  }
}

function unavailableText(failure: Error): string {
  return `restores are unavailable: the snapshot store is ${/ is full /.test(failure.message) ? 'full' : 'read-only'}`;
}

export class JobStore {
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
      const failure = describeStoreFailure(storePath, error) ?? cannotWrite(storePath, error);
      if (!failure) throw error;
      // Serving goes on from a read-only or full store; only restores (which need a record) are refused.
      this.unavailable = unavailableText(failure);
      this.db = JobStore.openForReading(file);
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
      const failure = describeStoreFailure(this.storePath, error);
      if (failure) throw new JobStoreUnavailable(unavailableText(failure));
      throw error;
    }
  }

  private toJob(row: JobRow): RestoreJob {
    return { ...(JSON.parse(row.body) as RestoreJob), status: row.status };
  }

  /** Jobs of this host whose process is gone will never finish: they become interrupted. */
  reapAbandoned(): RestoreJob[] {
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
      reaped.push(this.update(job.id, { status: 'interrupted', reason: 'the process running this restore stopped before it finished' }));
    }
    return reaped;
  }

  /** Atomically: no active job for the account and under the daily limit → a new job in state "deciding". */
  claim(request: RestoreRequest, requestedOn: DayLabel, maxPerDay: number): ClaimOutcome {
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
  recordDenial(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): { job: RestoreJob; first: boolean } {
    return this.write(() => this.recordDenialNow(claimedId, request, requestedOn, code, reason));
  }

  private recordDenialNow(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): { job: RestoreJob; first: boolean } {
    return this.db.transaction(() => {
      const earlier = this.db.prepare('SELECT job_id FROM restore_denials WHERE account = ? AND requested_on = ? AND code = ?').get(request.account, requestedOn, code) as { job_id: string } | undefined;
      const existing = earlier ? this.get(earlier.job_id) : null;
      if (existing) {
        this.db.prepare('UPDATE restore_denials SET repeats = repeats + 1 WHERE account = ? AND requested_on = ? AND code = ?').run(request.account, requestedOn, code);
        if (claimedId && claimedId !== existing.id) this.db.prepare('DELETE FROM restore_jobs WHERE id = ?').run(claimedId);
        return { job: existing, first: false };
      }
      const job = claimedId ? this.update(claimedId, { status: 'denied', reason }) : this.recordDenied(request, requestedOn, reason);
      this.db.prepare('INSERT OR REPLACE INTO restore_denials (account, requested_on, code, job_id, repeats) VALUES (?, ?, ?, ?, 0)').run(request.account, requestedOn, code, job.id);
      return { job, first: true };
    }).immediate();
  }

  /** How often a denial of this kind was repeated after the recorded one. */
  denialRepeats(account: string, requestedOn: DayLabel, code: string): number {
    const row = this.db.prepare('SELECT repeats FROM restore_denials WHERE account = ? AND requested_on = ? AND code = ?').get(account, requestedOn, code) as { repeats: number } | undefined;
    return row?.repeats ?? 0;
  }

  /** A denial decided before any job could be claimed (busy, limit, bad request) is still recorded. */
  recordDenied(request: RestoreRequest, requestedOn: DayLabel, reason: string): RestoreJob {
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
  requeue(id: string): ClaimOutcome {
    return this.write(() => this.requeueNow(id));
  }

  private requeueNow(id: string): ClaimOutcome {
    this.reapAbandonedNow();
    return this.db.transaction((): ClaimOutcome => {
      const job = this.get(id);
      if (!job) throw new Error(`no restore job ${id}`);
      if (job.status !== 'interrupted' && job.status !== 'failed') throw new Error(`restore job ${id} is ${job.status}; only an interrupted or failed job can be run again`);
      const active = this.db
        .prepare(`SELECT * FROM restore_jobs WHERE account = ? AND id <> ? AND status IN (${ACTIVE.map(() => '?').join(',')}) LIMIT 1`)
        .get(job.account, id, ...ACTIVE) as JobRow | undefined;
      if (active) return { claimed: false, conflict: 'busy', active: this.toJob(active) };
      return { claimed: true, job: this.update(id, { status: 'queued', reason: undefined }) };
    }).immediate();
  }

  update(id: string, changes: Partial<Omit<RestoreJob, 'id' | 'account' | 'request' | 'requestedOn' | 'createdAt'>>): RestoreJob {
    return this.write(() => this.db.transaction(() => {
      const current = this.get(id);
      if (!current) throw new Error(`no restore job ${id}`);
      const job: RestoreJob = { ...current, ...changes, updatedAt: new Date().toISOString() };
      this.db.prepare('UPDATE restore_jobs SET status = ?, owner_host = ?, owner_pid = ?, body = ? WHERE id = ?').run(job.status, hostname(), process.pid, JSON.stringify(job), id);
      return job;
    })());
  }

  get(id: string): RestoreJob | null {
    const row = this.db.prepare('SELECT * FROM restore_jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row ? this.toJob(row) : null;
  }

  list(account: string, limit = 50): RestoreJob[] {
    return (this.db.prepare('SELECT * FROM restore_jobs WHERE account = ? ORDER BY created_at DESC LIMIT ?').all(account, limit) as JobRow[]).map((row) => this.toJob(row));
  }

  /** Leaves rollback-journal mode behind, as the catalog does: readable later from a read-only or full store. */
  close(): void {
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
