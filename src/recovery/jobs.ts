/**
 * Restore jobs: a record per request (accepted or denied), so status and progress survive a
 * restart and several processes (server, CLI, other instances) see each other's restores. Claiming
 * a job is atomic: it fails when the account already has an active restore or has used up its
 * requests for the day. A job left active by a process that died is marked interrupted and can be
 * run again (restores are idempotent).
 *
 * The records live with the store (Store.jobs): in the embedded store a SQLite file of its own
 * (src/snapshots/store/embedded/sqlite-jobs.ts). test/snapshots/store/contract/job-store.ts is
 * what every implementation must pass.
 */
import type { DayLabel } from '../snapshots/day-label.js';
import type { RestorePreview, RestoreResult } from './engine.js';
import type { RestoreRequest } from './request.js';

export type JobStatus = 'deciding' | 'queued' | 'running' | 'done' | 'failed' | 'denied' | 'interrupted';

/** A job in one of these holds its account: no other restore of the account may start. */
export const ACTIVE_JOB_STATUSES: readonly JobStatus[] = ['deciding', 'queued', 'running'];

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

export type JobChanges = Partial<Omit<RestoreJob, 'id' | 'account' | 'request' | 'requestedOn' | 'createdAt'>>;

/** A restore cannot be recorded (the store is read-only, full or unreachable): it is refused with this, in words for the user. */
export class JobStoreUnavailable extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStoreUnavailable';
  }
}

/** The words a user is refused with when the store cannot record a restore; `kind` as StorageError has it. */
export function restoresUnavailableText(kind: string): string {
  const state = kind === 'full' ? 'full' : kind === 'unavailable' ? 'unreachable' : 'read-only';
  return `restores are unavailable: the snapshot store is ${state}`;
}

export interface JobStore {
  /** Why nothing can be recorded (the store could not be written when opened), or null. Reads still work. */
  readonly unavailable: string | null;
  /**
   * Jobs of this host whose process is gone will never finish: they become interrupted (and are
   * returned). Every write below rejects with JobStoreUnavailable when the store cannot record it.
   */
  reapAbandoned(): Promise<RestoreJob[]>;
  /**
   * Atomically, also against other processes and instances: no active job for the account and
   * fewer than `maxPerDay` non-denied jobs requested on `requestedOn` → a new job in state
   * "deciding", owned by this process. Reaps abandoned jobs first.
   */
  claim(request: RestoreRequest, requestedOn: DayLabel, maxPerDay: number): Promise<ClaimOutcome>;
  /**
   * Records a denial: the first of its kind (account, day, reason code) becomes a denied job — the
   * claimed one, else a new record — and `first` says it deserves an email; a repeat only counts on
   * that record (and drops the job claimed for it), so flooding requests grows nothing.
   */
  recordDenial(claimedId: string | null, request: RestoreRequest, requestedOn: DayLabel, code: string, reason: string): Promise<{ job: RestoreJob; first: boolean }>;
  /** How often a denial of this kind was repeated after the recorded one. */
  denialRepeats(account: string, requestedOn: DayLabel, code: string): Promise<number>;
  /** A denial decided before any job could be claimed (busy, limit, bad request) is still recorded. */
  recordDenied(request: RestoreRequest, requestedOn: DayLabel, reason: string): Promise<RestoreJob>;
  /** Puts an interrupted or failed job back in the queue, unless the account has another active restore; throws for other states. */
  requeue(id: string): Promise<ClaimOutcome>;
  /** Applies the changes (the job becomes owned by this process); throws for an unknown id. */
  update(id: string, changes: JobChanges): Promise<RestoreJob>;
  get(id: string): Promise<RestoreJob | null>;
  /** The account's jobs, newest first. */
  list(account: string, limit?: number): Promise<RestoreJob[]>;
  /** Every account that has a job record, sorted (`mtm store migrate` copies the records account by account). */
  jobAccounts(): Promise<string[]>;
  /**
   * Stores a record exactly as given, id and times included (`mtm store migrate`); false, and
   * nothing changed, when a job of that id is there already.
   */
  importJob(job: RestoreJob): Promise<boolean>;
  close(): Promise<void>;
}
