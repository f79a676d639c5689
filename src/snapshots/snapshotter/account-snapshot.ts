/**
 * One account's snapshot: read every folder of the live mailbox without changing anything
 * (EXAMINE, BODY.PEEK), download only bodies the store does not have, and commit the capture
 * only when everything is durable. A failure or a kill leaves no visible partial day.
 */
import type { Logger } from 'pino';
import type { UpstreamSettings } from '../../config/settings.js';
import type { DayLabel } from '../day-label.js';
import { describeNewBlob } from './new-blob.js';
import type { Capture, FolderRecord, MessageRecord, NewBlob, ReusableMessage } from '../store/catalog.js';
import { sha256 } from '../store/blob-store.js';
import type { Store } from '../store/store.js';
import {
  connectUpstream, storeFolderName, UpstreamError, type AccountCredentials, type LiveFolderEntry, type MessageSummary, type UpstreamSession,
} from '../../upstream/index.js';

export interface AccountSnapshotResult {
  account: string;
  day: DayLabel;
  folders: number;
  messages: number;
  bytes: number;
  /** Bodies fetched from the live server in this run. */
  downloaded: number;
  downloadedBytes: number;
  /** Folders skipped because CONDSTORE/UIDNEXT proved them unchanged. */
  unchangedFolders: number;
}

export interface AccountSnapshotOptions {
  upstream: UpstreamSettings;
  credentials: AccountCredentials;
  fetchBatchSize: number;
  logger: Logger;
  onProgress?: (event: { account: string; folder: string; done: number; total: number }) => void;
}

type ReuseIndex = Map<string, string>;

function reuseKey(folder: string | null, uidValidity: number, uid: number, size: number, internalDate: number): string {
  return `${folder ?? '*'}\u0000${uidValidity}:${uid}:${size}:${internalDate}`;
}

/**
 * Same folder + UIDVALIDITY + UID (+ size and date, to be safe) as a previous capture means the
 * same bytes. A renamed folder keeps its UIDVALIDITY on most servers, hence the name-free key.
 */
function buildReuseIndex(rows: ReusableMessage[]): ReuseIndex {
  const index: ReuseIndex = new Map();
  for (const row of rows) {
    index.set(reuseKey(row.folder, row.uidValidity, row.uid, row.size, row.internalDate), row.blobHash);
    index.set(reuseKey(null, row.uidValidity, row.uid, row.size, row.internalDate), row.blobHash);
  }
  return index;
}

const SESSION_FLAGS = new Set(['\\Recent']);

export async function snapshotAccount(store: Store, account: string, day: DayLabel, options: AccountSnapshotOptions): Promise<AccountSnapshotResult> {
  const client = await connectUpstream(options.upstream, account, options.credentials);
  let started: Awaited<ReturnType<Store['catalog']['startCapture']>>;
  try {
    started = await store.catalog.startCapture(account, day);
  } catch (error) {
    client.close();
    throw store.describeFailure(error) ?? error;
  }
  const { capture, salvaged } = started;
  const result: AccountSnapshotResult = { account, day, folders: 0, messages: 0, bytes: 0, downloaded: 0, downloadedBytes: 0, unchangedFolders: 0 };
  try {
    const previousFolders = capture.previousSeq === null ? [] : await store.catalog.folders(account, capture.previousSeq);
    const reusable = capture.previousSeq === null ? [] : await store.catalog.reusableMessages(account, capture.previousSeq);
    const reuse = buildReuseIndex([...reusable, ...(await durableSalvage(store, capture, salvaged))]);
    // Only this run writes the account's blobs now (startCapture refuses a second one), so any
    // temporary file is a dead writer's.
    await store.blobs.sweepTemporaries(account, 0);
    const listing = await client.listFolders();
    // Subscriptions straight from LSUB, in their on-the-wire form: a snapshot records the server's
    // truth, not the client library's view (which counts INBOX as always subscribed).
    const subscribed = await client.subscriptions();
    for (const listed of listing.filter((entry) => entry.selectable)) {
      const onWire = listed.pathAsListed;
      const entry = { ...listed, subscribed: subscribed.has(onWire) || (onWire.toUpperCase() === 'INBOX' && [...subscribed].some((name) => name.toUpperCase() === 'INBOX')) };
      const folder = await snapshotFolder(client, store, capture, entry, previousFolders, reuse, options, result);
      result.folders += 1;
      result.messages += folder.messages;
      result.bytes += folder.bytes;
    }
    await store.blobs.flush(account);
    await store.catalog.commitCapture(capture);
    await client.logout().catch(() => undefined);
    return result;
  } catch (error) {
    client.close();
    await store.catalog.abandonCapture(capture).catch(() => undefined);
    if (error instanceof UpstreamError) throw error;
    // The store's own failures name the store, not the live server.
    const storeFailure = store.describeFailure(error);
    if (storeFailure) throw storeFailure;
    throw client.describeFailure(error);
  }
}

/**
 * What interrupted runs stored, kept when the blob file made it to disk (it exists only once
 * complete: written, fsynced, renamed). A blob whose catalog row the interruption prevented is
 * analysed from the file rather than fetched again; one that fails its hash is removed.
 */
async function durableSalvage(store: Store, capture: Capture, salvaged: ReusableMessage[]): Promise<ReusableMessage[]> {
  const account = capture.account;
  const durable = new Map<string, boolean>();
  const recovered: NewBlob[] = [];
  for (const { blobHash: hash } of salvaged) {
    if (durable.has(hash)) continue;
    let ok = await store.blobs.has(account, hash);
    if (ok && !(await store.catalog.hasBlob(account, hash))) {
      const raw = await store.blobs.readAll(account, hash).catch(() => null);
      ok = raw !== null && sha256(raw) === hash;
      if (raw && ok) {
        const blob = { hash, size: raw.length, storedBytes: await store.blobs.storedBytes(account, hash) };
        recovered.push(await describeNewBlob(raw, blob, store.catalog.searchIndex));
      } else {
        await store.blobs.remove(account, hash);
      }
    }
    durable.set(hash, ok);
  }
  await store.catalog.addBlobs(account, recovered, capture);
  return salvaged.filter((message) => durable.get(message.blobHash));
}

async function snapshotFolder(
  client: UpstreamSession,
  store: Store,
  capture: Capture,
  entry: LiveFolderEntry,
  previousFolders: FolderRecord[],
  reuse: ReuseIndex,
  options: AccountSnapshotOptions,
  result: AccountSnapshotResult,
): Promise<FolderRecord> {
  const name = storeFolderName(entry.path, entry.delimiter);
  const mailbox = await client.examine(entry.path);
  try {
    const { uidValidity, highestModseq } = mailbox;
    const specialUse = entry.specialUse;
    const header = { name, delimiter: entry.delimiter ?? '/', uidValidity, uidNext: mailbox.uidNext, highestModseq, subscribed: entry.subscribed, specialUse };
    const previous = previousFolders.find((folder) => folder.name === name && folder.uidValidity === uidValidity);
    if (
      previous && highestModseq !== null && previous.highestModseq === highestModseq && previous.uidNext === mailbox.uidNext &&
      previous.messages === mailbox.exists && previous.subscribed === header.subscribed && previous.specialUse === specialUse && previous.delimiter === header.delimiter
    ) {
      await store.catalog.carryFolderForward(capture, name, uidValidity);
      result.unchangedFolders += 1;
      return previous;
    }
    const listed: MessageSummary[] = [];
    if (mailbox.exists > 0) {
      for await (const message of client.fetchSummaries()) listed.push(message);
    }
    listed.sort((a, b) => a.uid - b.uid);
    const messages: MessageRecord[] = [];
    const missing: MessageSummary[] = [];
    for (const message of listed) {
      const { internalDate, size } = message;
      const known = reuse.get(reuseKey(name, uidValidity, message.uid, size, internalDate)) ?? reuse.get(reuseKey(null, uidValidity, message.uid, size, internalDate));
      if (!known) missing.push(message);
      messages.push({ uid: message.uid, flags: message.flags.filter((flag) => !SESSION_FLAGS.has(flag)), internalDate: new Date(internalDate), size, blobHash: known ?? '' });
    }
    const hashes = await downloadBodies(client, store, capture, missing, options, result, { name, uidValidity }, listed.length);
    for (const message of messages) {
      if (!message.blobHash) {
        const hash = hashes.get(message.uid);
        if (!hash) throw new UpstreamError(`${capture.account}: message UID ${message.uid} of ${name} vanished during the snapshot`, 'protocol');
        message.blobHash = hash;
      }
    }
    const folder: FolderRecord = { ...header, messages: messages.length, bytes: messages.reduce((sum, message) => sum + message.size, 0) };
    await store.catalog.recordFolder(capture, folder, messages);
    return folder;
  } finally {
    await client.closeFolder();
  }
}

/**
 * Bodies being stored at once. Deflate, write and fsync run on libuv's thread pool, so while a few
 * bodies are on their way to disk the event loop parses and analyses the next ones; the byte cap
 * keeps a run of 5 MB attachments from piling up in memory.
 */
const MAX_BODIES_IN_FLIGHT = 8;
const MAX_BYTES_IN_FLIGHT = 64 * 1024 * 1024;

async function downloadBodies(
  client: UpstreamSession,
  store: Store,
  capture: Capture,
  missing: MessageSummary[],
  options: AccountSnapshotOptions,
  result: AccountSnapshotResult,
  folder: { name: string; uidValidity: number },
  total: number,
): Promise<Map<number, string>> {
  const account = capture.account;
  const hashes = new Map<number, string>();
  const listedByUid = new Map(missing.map((message) => [message.uid, message]));
  for (let start = 0; start < missing.length; start += options.fetchBatchSize) {
    const batch = missing.slice(start, start + options.fetchBatchSize).map((message) => message.uid);
    const newBlobs = new Map<string, NewBlob>();
    const inFlight = new Set<Promise<void>>();
    let bytesInFlight = 0;
    let failure: { error: unknown } | null = null;

    const storeBody = async (uid: number, raw: Buffer): Promise<void> => {
      const hash = sha256(raw);
      // Noted before the blob file gets its name, so every blob file a kill leaves behind is known
      // to the next run (as the listing's size and date: the reuse key).
      const listed = listedByUid.get(uid);
      await store.catalog.recordFetched(capture, {
        folder: folder.name, uidValidity: folder.uidValidity, uid, size: listed?.size ?? 0, internalDate: listed?.internalDate ?? 0, blobHash: hash,
      });
      const blob = await store.blobs.put(account, raw, hash);
      if (!newBlobs.has(blob.hash) && !(await store.catalog.hasBlob(account, blob.hash))) {
        newBlobs.set(blob.hash, await describeNewBlob(raw, { hash: blob.hash, size: blob.size, storedBytes: blob.storedBytes }, store.catalog.searchIndex));
      }
      hashes.set(uid, blob.hash);
      result.downloaded += 1;
      result.downloadedBytes += raw.length;
    };
    const settleAll = async () => {
      await Promise.all(inFlight);
      if (failure) throw failure.error;
    };

    for await (const message of client.fetchSources(batch)) {
      const raw = message.source;
      while (inFlight.size >= MAX_BODIES_IN_FLIGHT || (inFlight.size > 0 && bytesInFlight + raw.length > MAX_BYTES_IN_FLIGHT)) {
        await Promise.race(inFlight);
      }
      if (failure) await settleAll();
      bytesInFlight += raw.length;
      const tracked: Promise<void> = storeBody(message.uid, raw)
        .catch((error: unknown) => {
          failure ??= { error };
        })
        .finally(() => {
          bytesInFlight -= raw.length;
          inFlight.delete(tracked);
        });
      inFlight.add(tracked);
    }
    await settleAll();
    // The blob files are fsynced by put; the catalog learns of them in one transaction per batch.
    await store.catalog.addBlobs(account, [...newBlobs.values()], capture);
    options.onProgress?.({ account, folder: folder.name, done: Math.min(start + options.fetchBatchSize, missing.length), total });
  }
  return hashes;
}
