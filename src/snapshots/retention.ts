/**
 * Retention: keep the last `retentionDays` days (today included), then delete blobs that no
 * remaining day references. Blob files left behind by a crash between write and catalog entry,
 * and temporaries of a writer killed mid-put, are removed once they are old enough not to belong
 * to a run in progress.
 */
import { addDays, type DayLabel } from './day-label.js';
import type { Store } from './store/store.js';

export interface PruneResult {
  account: string;
  droppedDays: DayLabel[];
  deletedBlobs: number;
}

const ORPHAN_AGE_MS = 6 * 60 * 60 * 1000;

export async function pruneAccount(store: Store, account: string, today: DayLabel, retentionDays: number): Promise<PruneResult> {
  const oldestKept = addDays(today, -(retentionDays - 1));
  const days = await store.catalog.days(account);
  const expired = days.map((day) => day.day).filter((day) => day < oldestKept);
  const droppedDays = await store.catalog.dropDays(account, expired);
  const unreferenced = await store.catalog.collectGarbage(account);
  for (const hash of unreferenced) await store.blobs.remove(account, hash);
  const referenced = new Set((await store.catalog.referencedBlobs(account)).map((blob) => blob.hash));
  const orphans = await store.blobs.removeOrphans(account, ORPHAN_AGE_MS, async (hash) => referenced.has(hash) || (await store.catalog.hasBlob(account, hash)));
  await store.blobs.sweepTemporaries(account, ORPHAN_AGE_MS);
  return { account, droppedDays, deletedBlobs: unreferenced.length + orphans };
}

export async function pruneAll(store: Store, today: DayLabel, retentionDays: number): Promise<PruneResult[]> {
  const results: PruneResult[] = [];
  for (const account of await store.catalog.accounts()) results.push(await pruneAccount(store, account, today, retentionDays));
  return results;
}
