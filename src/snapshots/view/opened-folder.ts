/**
 * An opened snapshot folder (the proxy's OpenMailbox): its messages in the folder's flag order, and
 * reads of their structure, header blocks and bytes through the shared serving cache.
 */
import { Readable } from 'node:stream';
import type { MessageRef, OpenMailbox } from '../../proxy/ports.js';
import { analyzeMessage } from '../../mail/analyze.js';
import { STRUCTURE_VERSION, type MessageStructure } from '../../mail/structure.js';
import type { FolderRecord, MessageRecord } from '../store/catalog.js';
import type { Store } from '../store/store.js';
import { cacheKey, type FolderContent, type ServingCache } from './serving-cache.js';

export const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** Messages up to this size are read whole (one small file) and kept briefly for the next section. */
const SMALL_MESSAGE = 256 * 1024;

/**
 * A message's flags in the order of the folder's FLAGS list — system flags first, then keywords —
 * as Dovecot answers them; the catalog keeps them sorted, which would put keywords before `\Seen`.
 */
function inFolderOrder(messageFlags: string[], folderRank: Map<string, number>): string[] {
  if (messageFlags.length < 2) return messageFlags;
  const rank = (flag: string): number => folderRank.get(flag) ?? folderRank.size;
  return [...messageFlags].sort((a, b) => rank(a) - rank(b));
}

/** A folder's FLAGS (system flags, then its keywords sorted) and its messages' flags in that order. */
export function folderContent(records: MessageRecord[]): FolderContent {
  const keywords = new Set<string>();
  for (const record of records) for (const flag of record.flags) if (!flag.startsWith('\\')) keywords.add(flag);
  const flags = [...SYSTEM_FLAGS, ...[...keywords].sort()];
  const rank = new Map(flags.map((flag, index) => [flag, index]));
  const messages: MessageRef[] = records.map((record) => ({ ...record, flags: inFolderOrder(record.flags, rank) }));
  return { messages, flags };
}

export function emptyFolderRecord(name: string): FolderRecord {
  return { name, delimiter: '/', uidValidity: 1, uidNext: 1, highestModseq: 1, subscribed: true, specialUse: null, messages: 0, bytes: 0 };
}

/** Reads of one account's messages, cached across sessions of the same store. */
export class MessageReader {
  constructor(
    private readonly store: Store,
    private readonly account: string,
    private readonly cache: ServingCache,
  ) {}

  async structureOf(message: MessageRef): Promise<MessageStructure> {
    const key = cacheKey(this.account, message.blobHash);
    const cached = this.cache.structures.get(key);
    if (cached) return cached;
    let structure = await this.store.catalog.blobStructure(this.account, message.blobHash);
    if (!structure) throw new Error(`no structure recorded for blob ${message.blobHash}`);
    // Written by an older analyzer that answered some mail differently from Dovecot: derive it anew
    // from the (verified) blob rather than serve a structure known to be wrong for some messages.
    if (structure.version !== STRUCTURE_VERSION) structure = await analyzeMessage(this.store.blobs.read(this.account, message.blobHash));
    this.cache.structures.set(key, structure);
    return structure;
  }

  /** The header block: recorded in the catalog at ingest, else cut from the blob. */
  async headerOf(message: MessageRef): Promise<Buffer> {
    return (await this.headersOf([message]))[0];
  }

  /** Header blocks of many messages: cached ones, then one catalog query for the rest. */
  async headersOf(messages: MessageRef[]): Promise<Buffer[]> {
    const headers: (Buffer | undefined)[] = messages.map((message) => this.cache.headers.get(cacheKey(this.account, message.blobHash)));
    const missing = messages.filter((_, index) => headers[index] === undefined).map((message) => message.blobHash);
    if (missing.length === 0) return headers as Buffer[];
    const recorded = await this.store.catalog.blobHeaders(this.account, missing);
    for (const [index, message] of messages.entries()) {
      if (headers[index] !== undefined) continue;
      const key = cacheKey(this.account, message.blobHash);
      let header = recorded.get(message.blobHash);
      if (!header) {
        // A blob stored before the catalog kept header blocks.
        const { headerLength } = await this.structureOf(message);
        const whole = this.cache.messages.get(key);
        // A copy, so the cached header does not keep the whole inflated message alive.
        header = Buffer.from(whole ? whole.subarray(0, headerLength) : await this.store.blobs.readRange(this.account, message.blobHash, 0, headerLength));
      }
      this.cache.headers.set(key, header);
      headers[index] = header;
    }
    return headers as Buffer[];
  }

  /** A small message whole, inflated once for the several sections one FETCH may ask of it. */
  async wholeOf(message: MessageRef): Promise<Buffer> {
    const key = cacheKey(this.account, message.blobHash);
    const cached = this.cache.messages.get(key);
    if (cached) return cached;
    const raw = await this.store.blobs.readAll(this.account, message.blobHash);
    if (raw.length <= SMALL_MESSAGE) this.cache.messages.set(key, raw);
    return raw;
  }

  private async range(message: MessageRef, start: number, end: number | undefined): Promise<Buffer> {
    const structure = this.cache.structures.get(cacheKey(this.account, message.blobHash));
    if (structure && end !== undefined && end <= structure.headerLength) return (await this.headerOf(message)).subarray(start, end);
    const whole = await this.wholeOf(message);
    return whole.subarray(Math.min(start, whole.length), end === undefined ? whole.length : Math.min(end, whole.length));
  }

  /** The folder as the IMAP server is given it. */
  open(name: string, folder: FolderRecord, messages: MessageRef[], flags: string[]): OpenMailbox {
    const { store, account } = this;
    let hashes: string[] | undefined;
    const textCandidates = (needle: string, version: number): Promise<Set<string> | null> => {
      hashes ??= [...new Set(messages.map((message) => message.blobHash))];
      return store.catalog.textCandidates(account, hashes, needle, version);
    };
    return {
      textCandidates: store.catalog.searchIndex && messages.length > 0 ? textCandidates : undefined,
      name,
      uidValidity: folder.uidValidity,
      uidNext: Math.max(folder.uidNext, (messages[messages.length - 1]?.uid ?? 0) + 1),
      highestModseq: folder.highestModseq ?? 1,
      flags,
      messages,
      structure: (message) => this.structureOf(message),
      readHeader: (message) => this.headerOf(message),
      readHeaders: (list) => this.headersOf(list),
      read: (message: MessageRef, start = 0, end?: number): Readable => {
        // Big messages stream chunk by chunk; small ones come from one read of their file.
        if (message.size > SMALL_MESSAGE) return store.blobs.read(account, message.blobHash, start, end);
        const range = (): Promise<Buffer> => this.range(message, start, end);
        return Readable.from((async function* () {
          const bytes = await range();
          if (bytes.length > 0) yield bytes;
        })(), { objectMode: false });
      },
      readAll: (message) => (message.size > SMALL_MESSAGE ? store.blobs.readAll(account, message.blobHash) : this.wholeOf(message)),
      checkIntact: async (message, start, end) => {
        // A small message is served from one checked read of it: making that read now checks it
        // and leaves it in the cache for the stream that follows.
        if (message.size <= SMALL_MESSAGE) await this.wholeOf(message);
        else await store.blobs.checkIntact(account, message.blobHash, start, end);
      },
    };
  }
}
