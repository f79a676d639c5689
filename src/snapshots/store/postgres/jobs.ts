/**
 * Restore jobs in PostgreSQL (see src/recovery/jobs.ts for the contract), so a restore submitted on
 * one instance is claimed once, visible and followed from every other. Same records as the SQLite
 * job store; what differs is who may decide at once and who is still alive:
 * - claims, denials and requeues of one account take a transaction-scoped advisory lock on the
 *   account, so they take turns across instances while accounts never wait for each other;
 * - a job is owned by the process that last changed it, which holds a session advisory lock on its
 *   owner number while it lives. A process killed on any machine loses the lock with its
 *   connection, and its active jobs are reaped as interrupted (SQLite can only ask whether a pid is
 *   alive on this host).
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type pg from 'pg';
import type { DayLabel } from '../../day-label.js';
import { ACTIVE_JOB_STATUSES, JobStoreUnavailable, restoresUnavailableText, type ClaimOutcome, type JobChanges, type JobStatus, type JobStore, type RestoreJob } from '../../../recovery/jobs.js';
import type { RestoreRequest } from '../../../recovery/request.js';
import { describePostgresFailure, inTransaction, openClient, queryOnce } from './connection.js';

/** First keys of the advisory locks: job owners ("mtm" + 2) and accounts deciding a restore ("mtm" + 3). */
const OWNER_LOCK_NAMESPACE = 0x6d746d02;
const ACCOUNT_LOCK_NAMESPACE = 0x6d746d03;
const ACTIVE = [...ACTIVE_JOB_STATUSES];
const OWNER_ALIVE = `EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 2
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = ${OWNER_LOCK_NAMESPACE} AND l.objid::bigint = j.owner_id)`;

interface JobRow {
  status: JobStatus;
  body: string;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

function toJob(row: JobRow): RestoreJob {
  return { ...(JSON.parse(row.body) as RestoreJob), status: row.status };
}

export class PostgresJobStore implements JobStore {
  /** This process as a job owner: its number, and the session whose lock says it is alive. Taken at the first write. */
  private owner: Promise<{ id: number; session: pg.Client }> | null = null;

  /** `unavailable`: why nothing can be recorded (the server refused writes when the store opened), or null. */
  constructor(private readonly url: string, private readonly pool: pg.Pool, readonly unavailable: string | null = null) {}

  private ownerSession(): Promise<{ id: number; session: pg.Client }> {
    if (!this.owner) {
      const session = openClient(this.url);
      let owner: Promise<{ id: number; session: pg.Client }> | null = null;
      // The lock went with the session: jobs owned so far will be reaped by whoever looks next.
      const forget = () => {
        if (this.owner === owner) this.owner = null;
      };
      session.on('error', forget);
      session.on('end', forget);
      this.owner = owner = (async () => {
        try {
          await session.connect();
          const { rows } = await session.query<{ id: number }>("SELECT nextval('restore_job_owners')::int AS id");
          await session.query('SELECT pg_advisory_lock($1, $2)', [OWNER_LOCK_NAMESPACE, rows[0].id]);
          return { id: rows[0].id, session };
        } catch (error) {
          forget();
          await session.end().catch(() => {});
          throw error;
        }
      })();
    }
    return this.owner;
  }

  /** Every write: refused up front on a store opened unwritable; a server that cannot record it now says so. */
  private async write<T>(action: (ownerId: number) => Promise<T>): Promise<T> {
    if (this.unavailable) throw new JobStoreUnavailable(this.unavailable);
    try {
      const { id } = await this.ownerSession();
      return await action(id);
    } catch (error) {
      const failure = describePostgresFailure(this.url, error);
      if (failure && failure.kind !== 'failed' && failure.kind !== 'damaged') throw new JobStoreUnavailable(restoresUnavailableText(failure.kind));
      throw failure ?? error;
    }
  }

  private async read<T>(action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw describePostgresFailure(this.url, error) ?? error;
    }
  }

  /** Claims, denials and requeues of one account take turns until the transaction ends. */
  private async lockAccount(db: Queryable, account: string): Promise<void> {
    await db.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ACCOUNT_LOCK_NAMESPACE, account]);
  }

  /** Jobs whose owning process is gone, on any instance, will never finish: they become interrupted. */
  async reapAbandoned(): Promise<RestoreJob[]> {
    return this.write((ownerId) => this.reapAbandonedNow(ownerId));
  }

  private async reapAbandonedNow(ownerId: number): Promise<RestoreJob[]> {
    const { rows } = await this.pool.query<{ id: string }>(
      `SELECT j.id FROM restore_jobs j WHERE j.status = ANY($1::text[]) AND j.owner_id <> $2 AND NOT ${OWNER_ALIVE} ORDER BY j.n`,
      [ACTIVE, ownerId],
    );
    const reaped: RestoreJob[] = [];
    for (const { id } of rows) {
      // Only if still abandoned when locked: another instance may have reaped or requeued it meanwhile.
      const job = await inTransaction(this.pool, async (db) => {
        const { rows: [row] } = await db.query<JobRow>(
          `SELECT j.status, j.body FROM restore_jobs j WHERE j.id = $1 AND j.status = ANY($2::text[]) AND j.owner_id <> $3 AND NOT ${OWNER_ALIVE} FOR UPDATE`,
          [id, ACTIVE, ownerId],
        );
        return row ? this.updateIn(db, ownerId, id, { status: 'interrupted', reason: 'the process running this restore stopped before it finished' }) : null;
      });
      if (job) reaped.push(job);
    }
    return reaped;
  }

  async claim(request: RestoreRequest, requestedOn: DayLabel, maxPerDay: number): Promise<ClaimOutcome> {
    return this.write(async (ownerId) => {
      await this.reapAbandonedNow(ownerId);
      return inTransaction(this.pool, async (db): Promise<ClaimOutcome> => {
        await this.lockAccount(db, request.account);
        const { rows: [active] } = await db.query<JobRow>(
          'SELECT status, body FROM restore_jobs WHERE account = $1 AND status = ANY($2::text[]) ORDER BY created_at, n LIMIT 1',
          [request.account, ACTIVE],
        );
        if (active) return { claimed: false, conflict: 'busy', active: toJob(active) };
        const { rows: [{ count }] } = await db.query<{ count: number }>(
          "SELECT count(*)::int AS count FROM restore_jobs WHERE account = $1 AND requested_on = $2 AND status <> 'denied'",
          [request.account, requestedOn],
        );
        if (count >= maxPerDay) return { claimed: false, conflict: 'limit', count };
        const now = new Date().toISOString();
        const job: RestoreJob = { id: randomUUID(), account: request.account, status: 'deciding', request, requestedOn, createdAt: now, updatedAt: now, progress: { done: 0, total: 0 } };
        await this.insert(db, ownerId, job);
        return { claimed: true, job };
      });
    });
  }

  private async insert(db: Queryable, ownerId: number, job: RestoreJob): Promise<void> {
    await db.query(
      'INSERT INTO restore_jobs (id, account, status, requested_on, owner_id, owner_host, owner_pid, created_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)',
      [job.id, job.account, job.status, job.requestedOn, ownerId, hostname(), process.pid, job.createdAt, JSON.stringify(job)],
    );
  }

  async recordDenial(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): Promise<{ job: RestoreJob; first: boolean }> {
    return this.write((ownerId) =>
      inTransaction(this.pool, async (db) => {
        await this.lockAccount(db, request.account);
        const { rows: [earlier] } = await db.query<{ job_id: string }>(
          'SELECT job_id FROM restore_denials WHERE account = $1 AND requested_on = $2 AND code = $3',
          [request.account, requestedOn, code],
        );
        const existing = earlier ? await this.getIn(db, earlier.job_id) : null;
        if (existing) {
          await db.query('UPDATE restore_denials SET repeats = repeats + 1 WHERE account = $1 AND requested_on = $2 AND code = $3', [request.account, requestedOn, code]);
          if (claimedId && claimedId !== existing.id) await db.query('DELETE FROM restore_jobs WHERE id = $1', [claimedId]);
          return { job: existing, first: false };
        }
        const job = claimedId ? await this.updateIn(db, ownerId, claimedId, { status: 'denied', reason }) : await this.insertDenied(db, ownerId, request, requestedOn, reason);
        await db.query(
          `INSERT INTO restore_denials (account, requested_on, code, job_id, repeats) VALUES ($1, $2, $3, $4, 0)
           ON CONFLICT (account, requested_on, code) DO UPDATE SET job_id = EXCLUDED.job_id, repeats = 0`,
          [request.account, requestedOn, code, job.id],
        );
        return { job, first: true };
      }),
    );
  }

  async denialRepeats(account: string, requestedOn: DayLabel, code: string): Promise<number> {
    return this.read(async () => {
      const [row] = await queryOnce<{ repeats: number }>(
        this.pool,
        'SELECT repeats FROM restore_denials WHERE account = $1 AND requested_on = $2 AND code = $3',
        [account, requestedOn, code],
        { idempotent: true },
      );
      return row?.repeats ?? 0;
    });
  }

  async recordDenied(request: RestoreRequest, requestedOn: DayLabel, reason: string): Promise<RestoreJob> {
    return this.write((ownerId) => this.insertDenied(this.pool, ownerId, request, requestedOn, reason));
  }

  private async insertDenied(db: Queryable, ownerId: number, request: RestoreRequest, requestedOn: DayLabel, reason: string): Promise<RestoreJob> {
    const now = new Date().toISOString();
    const job: RestoreJob = { id: randomUUID(), account: request.account, status: 'denied', request, requestedOn, createdAt: now, updatedAt: now, progress: { done: 0, total: 0 }, reason };
    await this.insert(db, ownerId, job);
    return job;
  }

  async requeue(id: string): Promise<ClaimOutcome> {
    return this.write(async (ownerId) => {
      await this.reapAbandonedNow(ownerId);
      return inTransaction(this.pool, async (db): Promise<ClaimOutcome> => {
        const { rows: [found] } = await db.query<{ account: string }>('SELECT account FROM restore_jobs WHERE id = $1', [id]);
        if (!found) throw new Error(`no restore job ${id}`);
        await this.lockAccount(db, found.account);
        const job = await this.getIn(db, id);
        if (!job) throw new Error(`no restore job ${id}`);
        if (job.status !== 'interrupted' && job.status !== 'failed') throw new Error(`restore job ${id} is ${job.status}; only an interrupted or failed job can be run again`);
        const { rows: [active] } = await db.query<JobRow>(
          'SELECT status, body FROM restore_jobs WHERE account = $1 AND id <> $2 AND status = ANY($3::text[]) ORDER BY n LIMIT 1',
          [job.account, id, ACTIVE],
        );
        if (active) return { claimed: false, conflict: 'busy', active: toJob(active) };
        return { claimed: true, job: await this.updateIn(db, ownerId, id, { status: 'queued', reason: undefined }) };
      });
    });
  }

  async update(id: string, changes: JobChanges): Promise<RestoreJob> {
    return this.write((ownerId) => inTransaction(this.pool, (db) => this.updateIn(db, ownerId, id, changes)));
  }

  /** Applies the changes to the row (locked until the transaction ends); the job becomes this process's. */
  private async updateIn(db: Queryable, ownerId: number, id: string, changes: JobChanges): Promise<RestoreJob> {
    const { rows: [row] } = await db.query<JobRow>('SELECT status, body FROM restore_jobs WHERE id = $1 FOR UPDATE', [id]);
    if (!row) throw new Error(`no restore job ${id}`);
    const job: RestoreJob = { ...toJob(row), ...changes, updatedAt: new Date().toISOString() };
    // JSON drops the keys set to undefined (a requeue clears `reason`), as it does for SQLite.
    await db.query('UPDATE restore_jobs SET status = $1, owner_id = $2, owner_host = $3, owner_pid = $4, body = $5 WHERE id = $6', [job.status, ownerId, hostname(), process.pid, JSON.stringify(job), id]);
    return JSON.parse(JSON.stringify(job)) as RestoreJob;
  }

  async get(id: string): Promise<RestoreJob | null> {
    return this.read(async () => {
      const [row] = await queryOnce<JobRow>(this.pool, 'SELECT status, body FROM restore_jobs WHERE id = $1', [id], { idempotent: true });
      return row ? toJob(row) : null;
    });
  }

  private async getIn(db: Queryable, id: string): Promise<RestoreJob | null> {
    const { rows: [row] } = await db.query<JobRow>('SELECT status, body FROM restore_jobs WHERE id = $1', [id]);
    return row ? toJob(row) : null;
  }

  async list(account: string, limit = 50): Promise<RestoreJob[]> {
    return this.read(async () => {
      const rows = await queryOnce<JobRow>(this.pool, 'SELECT status, body FROM restore_jobs WHERE account = $1 ORDER BY created_at DESC, n DESC LIMIT $2', [account, limit], { idempotent: true });
      return rows.map(toJob);
    });
  }

  async jobAccounts(): Promise<string[]> {
    return this.read(async () => {
      const rows = await queryOnce<{ account: string }>(this.pool, 'SELECT DISTINCT account FROM restore_jobs ORDER BY account', [], { idempotent: true });
      return rows.map((row) => row.account);
    });
  }

  async importJob(job: RestoreJob): Promise<boolean> {
    return this.write(async (ownerId) => {
      const { rowCount } = await this.pool.query(
        `INSERT INTO restore_jobs (id, account, status, requested_on, owner_id, owner_host, owner_pid, created_at, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`,
        [job.id, job.account, job.status, job.requestedOn, ownerId, hostname(), process.pid, job.createdAt, JSON.stringify(job)],
      );
      return rowCount === 1;
    });
  }

  /** Ends the owner session (the pool belongs to the store): active jobs of this process become reapable, as at exit. */
  async close(): Promise<void> {
    const owner = this.owner;
    this.owner = null;
    if (owner) await owner.then(({ session }) => session.end(), () => {}).catch(() => {});
  }
}
