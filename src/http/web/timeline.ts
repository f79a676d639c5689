/**
 * The day picker's list: every snapshot day of the account, newest first, with its totals and how
 * many messages appeared and disappeared since the day before. A message is its stored bytes
 * (blob hash), counted account-wide as a multiset: a message moved to another folder neither
 * appeared nor disappeared, two copies of one message are two. Snapshots never change, so the
 * difference between two captures is computed once and remembered.
 */
import type { Store } from '../../snapshots/store/store.js';

export interface TimelineDay {
  day: string;
  folders: number;
  messages: number;
  bytes: number;
  /** null for the oldest day: there is nothing to compare it with. */
  appeared: number | null;
  disappeared: number | null;
}

const differences = new Map<string, { appeared: number; disappeared: number }>();
const MAX_REMEMBERED = 10_000;

async function messageCounts(store: Store, account: string, seq: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const folder of await store.catalog.folders(account, seq)) {
    for (const message of await store.catalog.messages(account, seq, folder.name, folder.uidValidity)) {
      counts.set(message.blobHash, (counts.get(message.blobHash) ?? 0) + 1);
    }
  }
  return counts;
}

function difference(before: Map<string, number>, after: Map<string, number>): { appeared: number; disappeared: number } {
  let appeared = 0;
  let disappeared = 0;
  for (const [hash, count] of after) appeared += Math.max(0, count - (before.get(hash) ?? 0));
  for (const [hash, count] of before) disappeared += Math.max(0, count - (after.get(hash) ?? 0));
  return { appeared, disappeared };
}

export async function dayTimeline(store: Store, account: string): Promise<TimelineDay[]> {
  const days = await store.catalog.days(account);
  const out: TimelineDay[] = [];
  // Only one day's counts are held besides the current one.
  let previous: { seq: number; counts: Map<string, number> | null } | null = null;
  for (const day of days) {
    let change: { appeared: number; disappeared: number } | null = null;
    let counts: Map<string, number> | null = null;
    if (previous) {
      const key = `${account}\0${previous.seq}\0${day.seq}`;
      change = differences.get(key) ?? null;
      if (!change) {
        previous.counts ??= await messageCounts(store, account, previous.seq);
        counts = await messageCounts(store, account, day.seq);
        change = difference(previous.counts, counts);
        if (differences.size >= MAX_REMEMBERED) differences.clear();
        differences.set(key, change);
      }
    }
    out.push({ day: day.day, folders: day.folders, messages: day.messages, bytes: day.bytes, appeared: change?.appeared ?? null, disappeared: change?.disappeared ?? null });
    previous = { seq: day.seq, counts };
  }
  return out.reverse();
}
