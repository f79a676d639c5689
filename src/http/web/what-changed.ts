/**
 * "What changed": for one folder of one day, the messages the snapshot holds that the live mailbox
 * no longer has (what the user deleted or lost since), and how many live messages are new since.
 *
 * The live server is asked, through the same connection a restore uses (the master user, or the
 * account's credentials from snapshot.accountsFile), rather than the latest capture: the latest
 * capture can be a day old, and "find what I deleted this morning" must see this morning. Messages
 * are matched as a restore matches them (message-identity.ts: Message-ID and size, else the bytes'
 * hash), so what is listed here is exactly what a merge restore of the folder would bring back.
 */
import type { Logger } from 'pino';
import { summarizeMessage, type MessageSummary } from '../message-summary.js';
import { ApiError } from '../router.js';
import { LiveMailbox, planRestore, PlanError, splitByPresence } from '../../recovery/index.js';
import type { DayLabel } from '../../snapshots/day-label.js';
import type { Store } from '../../snapshots/store/store.js';
import type { UpstreamConnector } from '../../upstream/index.js';

export interface WhatChanged {
  account: string;
  day: string;
  folder: string;
  comparedWith: 'live';
  /** The folder's path on the live server, and whether it still exists there. */
  liveFolder: string;
  liveFolderExists: boolean;
  /** In the snapshot, no longer live: oldest UID first. */
  gone: MessageSummary[];
  /** Live messages the snapshot of that day did not have. */
  newSince: number;
}

export async function whatChanged(context: { upstream: UpstreamConnector; store: Store; logger: Logger }, account: string, day: DayLabel, folder: string): Promise<WhatChanged> {
  const { upstream, store, logger } = context;
  let planned;
  try {
    planned = (await planRestore(store, account, day, { kind: 'folder', folder, subfolders: false }, 'merge')).folders[0];
  } catch (error) {
    if (error instanceof PlanError) throw new ApiError(404, 'no-folder', error.message);
    throw error;
  }
  let live: LiveMailbox;
  try {
    live = await LiveMailbox.open(upstream, account);
  } catch (error) {
    logger.warn({ account, error: (error as Error).message }, 'what changed: the live server did not answer');
    throw new ApiError(503, 'unavailable', 'the live mail server could not be reached to compare with; try again in a few minutes', { 'retry-after': '60' });
  }
  try {
    const liveFolder = live.livePath(planned.source);
    const exists = (await live.folders()).has(liveFolder);
    const identities = exists ? await live.presence(liveFolder, planned.messages) : [];
    const { present, missing } = splitByPresence(planned.messages, identities);
    const goneUids = new Set(missing.map((message) => message.uid));
    const seq = (await store.catalog.captureForDay(account, day))!;
    const record = (await store.catalog.folders(account, seq)).find((candidate) => candidate.name === planned.source)!;
    const gone: MessageSummary[] = [];
    for (const message of await store.catalog.messages(account, seq, record.name, record.uidValidity)) {
      if (!goneUids.has(message.uid)) continue;
      gone.push(summarizeMessage(message, (await store.catalog.blobStructure(account, message.blobHash))?.root.envelope));
    }
    return { account, day, folder: planned.source, comparedWith: 'live', liveFolder, liveFolderExists: exists, gone, newSince: identities.length - present.length };
  } finally {
    await live.close();
  }
}
