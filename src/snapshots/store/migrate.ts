/**
 * `mtm store migrate`: copies everything a store holds into another (embedded ⇄ PostgreSQL + S3,
 * or any pair of backends) through the Store interfaces only, so it knows no backend.
 *
 * Each committed day of each account is replayed into the target as a capture of that day, in the
 * order the source took them: its blobs are copied (checked against their SHA-256 on the way) and
 * made durable before the catalog references them, then its folders and messages are recorded and
 * the capture committed. Versioned rows are rebuilt by the target's own recordFolder, so a message
 * kept over many days is still one row there. Restore job records follow, verbatim.
 *
 * Re-runnable: a day already in the target is skipped, a blob already there is not copied again,
 * a job already there is left as it is; a capture an interrupted run left open is rolled back by
 * the target's startCapture. A target that holds days the source does not (another store's data)
 * is refused before anything is written.
 */
import { describeNewBlob } from '../snapshotter/new-blob.js';
import { ACTIVE_JOB_STATUSES, type RestoreJob } from '../../recovery/jobs.js';
import type { DayLabel } from '../day-label.js';
import type { Capture, DaySummary, NewBlob } from './catalog.js';
import type { Store } from './store.js';

export interface MigrationReport {
  accounts: number;
  /** Days written to the target in this run, and days it had already. */
  daysCopied: number;
  daysPresent: number;
  /** Blobs uploaded in this run (and their bytes), and blobs the target had already. */
  blobsCopied: number;
  bytesCopied: number;
  blobsPresent: number;
  jobsCopied: number;
  jobsPresent: number;
}

export type MigrationEvent =
  | { kind: 'day'; account: string; day: DayLabel; folders: number; messages: number; blobsCopied: number; bytesCopied: number }
  | { kind: 'day-present'; account: string; day: DayLabel };

export interface MigrationOptions {
  onEvent?: (event: MigrationEvent) => void;
}

/** Why a target cannot take a source's data: found before anything is written. */
export class MigrationRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationRefused';
  }
}

/** Blobs copied and recorded per catalog transaction: bounds what is held in memory at once. */
const BLOB_BATCH = 100;
const ALL_JOBS = Number.MAX_SAFE_INTEGER;
/** What an active job of the source becomes in the target: nothing runs it there. */
const INTERRUPTED_BY_MIGRATION = 'the store was migrated while this restore was in progress; ask for it again';

export async function migrateStore(source: Store, target: Store, options: MigrationOptions = {}): Promise<MigrationReport> {
  if (source.description === target.description) throw new MigrationRefused(`the target store is the source store (${source.description})`);
  if (target.readOnly) throw new MigrationRefused(`the target store cannot be written: ${target.readOnly}`);
  const accounts = await source.catalog.accounts();
  const plans = new Map<string, { copy: DaySummary[]; present: DayLabel[] }>();
  for (const account of accounts) plans.set(account, await planAccount(source, target, account));

  const report: MigrationReport = { accounts: accounts.length, daysCopied: 0, daysPresent: 0, blobsCopied: 0, bytesCopied: 0, blobsPresent: 0, jobsCopied: 0, jobsPresent: 0 };
  for (const account of accounts) {
    const plan = plans.get(account)!;
    for (const day of plan.present) {
      report.daysPresent += 1;
      options.onEvent?.({ kind: 'day-present', account, day });
    }
    for (const day of plan.copy) {
      const copied = await copyDay(source, target, account, day);
      report.daysCopied += 1;
      report.blobsCopied += copied.blobsCopied;
      report.bytesCopied += copied.bytesCopied;
      report.blobsPresent += copied.blobsPresent;
      options.onEvent?.({ kind: 'day', account, day: day.day, folders: copied.folders, messages: copied.messages, blobsCopied: copied.blobsCopied, bytesCopied: copied.bytesCopied });
    }
  }
  for (const account of await source.jobs.jobAccounts()) {
    // Oldest first, so the target's own order (by creation) is the source's.
    for (const job of (await source.jobs.list(account, ALL_JOBS)).reverse()) {
      if (await target.jobs.importJob(asImported(job))) report.jobsCopied += 1;
      else report.jobsPresent += 1;
    }
  }
  return report;
}

/** The account's days the target lacks, in the order the source took them; refuses a target with other data. */
async function planAccount(source: Store, target: Store, account: string): Promise<{ copy: DaySummary[]; present: DayLabel[] }> {
  const wanted = await source.catalog.days(account);
  const there = new Map((await target.catalog.days(account)).map((day) => [day.day, day]));
  const wantedDays = new Set(wanted.map((day) => day.day));
  for (const day of there.keys()) {
    if (!wantedDays.has(day)) throw new MigrationRefused(`the target store already holds ${account} ${day}, which the source does not: it is not a copy of this store (use an empty target)`);
  }
  const present: DayLabel[] = [];
  const copy: DaySummary[] = [];
  for (const day of wanted) {
    const existing = there.get(day.day);
    if (!existing) {
      copy.push(day);
      continue;
    }
    if (existing.folders !== day.folders || existing.messages !== day.messages || existing.bytes !== day.bytes) {
      throw new MigrationRefused(`the target store holds ${account} ${day.day} with other content than the source (${existing.messages} messages, not ${day.messages}): it is not a copy of this store (use an empty target)`);
    }
    present.push(day.day);
  }
  copy.sort((a, b) => a.seq - b.seq);
  return { copy, present };
}

function asImported(job: RestoreJob): RestoreJob {
  if (!ACTIVE_JOB_STATUSES.includes(job.status)) return job;
  return { ...job, status: 'interrupted', reason: INTERRUPTED_BY_MIGRATION };
}

interface DayCopy {
  folders: number;
  messages: number;
  blobsCopied: number;
  bytesCopied: number;
  blobsPresent: number;
}

async function copyDay(source: Store, target: Store, account: string, day: DaySummary): Promise<DayCopy> {
  const { capture } = await target.catalog.startCapture(account, day.day);
  const copied: DayCopy = { folders: 0, messages: 0, blobsCopied: 0, bytesCopied: 0, blobsPresent: 0 };
  try {
    for (const folder of await source.catalog.folders(account, day.seq)) {
      const messages = await source.catalog.messages(account, day.seq, folder.name, folder.uidValidity);
      const hashes = [...new Set(messages.map((message) => message.blobHash))];
      for (let start = 0; start < hashes.length; start += BLOB_BATCH) {
        await copyBlobs(source, target, account, hashes.slice(start, start + BLOB_BATCH), capture, copied);
      }
      await target.catalog.recordFolder(capture, folder, messages);
      copied.folders += 1;
      copied.messages += messages.length;
    }
    await target.catalog.commitCapture(capture);
    return copied;
  } catch (error) {
    await target.catalog.abandonCapture(capture).catch(() => undefined);
    throw error;
  }
}

/** The blobs the target's catalog lacks: bytes copied unless already stored, made durable, then recorded. */
async function copyBlobs(source: Store, target: Store, account: string, hashes: string[], capture: Capture, copied: DayCopy): Promise<void> {
  const missing: string[] = [];
  for (const hash of hashes) if (!(await target.catalog.hasBlob(account, hash))) missing.push(hash);
  if (missing.length === 0) return;
  const headers = await source.catalog.blobHeaders(account, missing);
  const added: NewBlob[] = [];
  for (const hash of missing) {
    let raw: Buffer | null = null;
    let size: number;
    let storedBytes: number;
    if (await target.blobs.has(account, hash)) {
      // Uploaded by an interrupted run: content-addressed, and an object exists only once complete.
      raw = await target.blobs.readAll(account, hash, { checkHash: true });
      size = raw.length;
      storedBytes = await target.blobs.storedBytes(account, hash);
      copied.blobsPresent += 1;
    } else {
      raw = await source.blobs.readAll(account, hash, { checkHash: true });
      const stored = await target.blobs.put(account, raw, hash);
      size = stored.size;
      storedBytes = stored.storedBytes;
      copied.blobsCopied += 1;
      copied.bytesCopied += raw.length;
    }
    const structure = (await source.catalog.blobStructure(account, hash)) ?? undefined;
    const described = await describeNewBlob(raw, { hash, size, storedBytes }, target.catalog.searchIndex, structure);
    added.push({ ...described, header: headers.get(hash) ?? described.header });
  }
  await target.blobs.flush(account);
  await target.catalog.addBlobs(account, added, capture);
}
