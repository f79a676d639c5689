/** Shared by the recovery tests: a small varied account, and the live state in comparable form. */
import { createHash } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { loadConfig } from '../../src/config/load.js';
import { RecoveryService } from '../../src/recovery/service.js';
import type { RestoreQueue, JobRunner } from '../../src/recovery/queue.js';
import { dayIn } from '../../src/snapshots/day-label.js';
import { openStore, type Store } from '../../src/snapshots/store/store.js';
import { generateMessage } from '../../src/testbed/corpus.js';

export const TODAY = dayIn('UTC');

export const LAYOUT: { folder: string; count: number }[] = [
  { folder: 'INBOX', count: 12 },
  { folder: 'Archive', count: 6 },
  { folder: 'Archive/Old', count: 4 },
  { folder: 'Projects', count: 7 },
  { folder: 'Empty', count: 0 },
];
const FLAG_SETS = [[], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Answered', '\\Seen'], ['$Label1'], ['\\Deleted', '\\Seen']];

/** A message without Message-ID whose body has lines mbox must quote. */
export function fromLineMessage(index: number): Buffer {
  return Buffer.from(
    `From: Quinn <quinn@example.com>\r\nTo: you@example.com\r\nSubject: no id ${index}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\n` +
      `From the start of a line, ${index}.\r\n>From quoted once\r\n>>From quoted twice\r\nFrom \r\nFrom\r\nend\r\n`,
  );
}

export async function populate(live: ImapFlow, seed: number): Promise<void> {
  let n = 0;
  for (const { folder, count } of LAYOUT) {
    if (folder !== 'INBOX') await live.mailboxCreate(folder);
    await live.mailboxSubscribe(folder);
    for (let i = 0; i < count; i++, n++) {
      const raw = i === 1 ? fromLineMessage(n) : generateMessage(n, seed, { minBytes: 800, maxBytes: 6000 });
      await live.append(folder, raw, FLAG_SETS[n % FLAG_SETS.length], new Date(Date.UTC(2025, n % 12, 1 + (n % 27), n % 24, n % 60, 7)));
    }
  }
}

export interface LiveEntry {
  uid: number;
  key: string;
  flags: string[];
  internalDate: string;
}

/** Messages of a live folder: identity = sha256 of the bytes, flags without \Recent, sorted by key. */
export async function liveEntries(live: ImapFlow, folder: string, { withNotices = false } = {}): Promise<LiveEntry[]> {
  const mailbox = await live.mailboxOpen(folder, { readOnly: true });
  const out: LiveEntry[] = [];
  if (mailbox.exists > 0) {
    for await (const m of live.fetch('1:*', { uid: true, flags: true, internalDate: true, source: true })) {
      if (!withNotices && m.source!.includes('X-MTM-Restore-Job:')) continue;
      out.push({
        uid: m.uid,
        key: createHash('sha256').update(m.source!).digest('hex'),
        flags: [...(m.flags ?? [])].filter((flag) => flag !== '\\Recent').sort(),
        internalDate: new Date(m.internalDate!).toISOString(),
      });
    }
  }
  await live.mailboxClose();
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.flags.join().localeCompare(b.flags.join())));
}

/** Folder → entries without UIDs (what a restore must reproduce). */
export async function liveState(live: ImapFlow): Promise<Map<string, Omit<LiveEntry, 'uid'>[]>> {
  const state = new Map<string, Omit<LiveEntry, 'uid'>[]>();
  for (const entry of await live.list()) {
    if (entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent')) continue;
    state.set(entry.path, (await liveEntries(live, entry.path)).map(({ uid: _uid, ...rest }) => rest));
  }
  return state;
}

export function withoutDeletedFlag(state: Map<string, Omit<LiveEntry, 'uid'>[]>): Map<string, Omit<LiveEntry, 'uid'>[]> {
  return new Map([...state].map(([folder, entries]) => [folder, entries.map((e) => ({ ...e, flags: e.flags.filter((f) => f !== '\\Deleted') }))]));
}

export async function deleteUids(live: ImapFlow, folder: string, uids: number[]): Promise<void> {
  await live.mailboxOpen(folder);
  await live.messageDelete(uids.join(','), { uid: true });
  await live.mailboxClose();
}

/** The decoded text part of every confirmation/denial email in the live INBOX, oldest first. */
export async function notices(live: ImapFlow): Promise<{ subject: string; text: string; html: string; raw: string }[]> {
  const mailbox = await live.mailboxOpen('INBOX', { readOnly: true });
  const out: { subject: string; text: string; html: string; raw: string }[] = [];
  if (mailbox.exists > 0) {
    for await (const m of live.fetch('1:*', { uid: true, source: true, envelope: true })) {
      const raw = m.source!.toString('utf8');
      if (!raw.includes('X-MTM-Restore-Job:')) continue;
      const parts = raw.split(/\r\n--mtm-[0-9a-f]+/).slice(1, 3);
      const decode = (part: string) => Buffer.from(part.split('\r\n\r\n')[1] ?? '', 'base64').toString('utf8');
      out.push({ subject: m.envelope?.subject ?? '', text: decode(parts[0] ?? ''), html: decode(parts[1] ?? ''), raw });
    }
  }
  await live.mailboxClose();
  return out;
}

export async function serviceFor(configPath: string, queue?: (runner: JobRunner) => RestoreQueue): Promise<{ service: RecoveryService; store: Store }> {
  const config = loadConfig(configPath);
  const store = await openStore(config.store);
  return { service: new RecoveryService({ config, store, queue }), store };
}
