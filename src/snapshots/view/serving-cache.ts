/**
 * What the views of one store share. Keys always start with the account, so a session can only
 * hit entries of its own account; days are never cached (a snapshot may be committed any time),
 * but everything under a committed capture's seq is immutable.
 */
import { LRUCache } from 'lru-cache';
import type { MessageRef } from '../../proxy/ports.js';
import type { MessageStructure, MimePart } from '../../mail/structure.js';
import type { Store } from '../store/store.js';
import type { CaptureFolders } from '../walk/index.js';

/** An opened folder's content; a committed capture never changes, so it is kept across SELECTs and sessions. */
export interface FolderContent {
  messages: MessageRef[];
  flags: string[];
}

/** Bounded by total weight: an entry heavier than the whole budget is simply not kept. */
function weighed<V extends object>(maxSize: number, weigh: (value: V) => number): LRUCache<string, V> {
  return new LRUCache<string, V>({ maxSize, sizeCalculation: (value) => Math.max(1, weigh(value)) });
}

/** The number of MIME parts in a tree. */
function partCount(part: MimePart): number {
  let count = 1;
  for (const child of part.children) count += partCount(child);
  return count;
}

/**
 * Approximate heap bytes of a parsed structure: measured ≈ 1.4 KB for the usual two-part message
 * (about its JSON length), most of it per part (type, parameters, offsets, an envelope for message/rfc822).
 */
function structureWeight(structure: MessageStructure): number {
  return 512 + 512 * partCount(structure.root);
}

export class ServingCache {
  readonly captureFolders = new LRUCache<string, CaptureFolders>({ max: 256 });
  readonly folders = weighed<FolderContent>(300_000, (content) => 1 + content.messages.length);
  /**
   * Weighed, not counted: at 10,000 entries a SEARCH TEXT over an 11,000-message folder missed on
   * every message (a sequential walk evicts each entry before it is needed again) and spent a
   * quarter of its time in catalog queries and JSON.parse. 48 MiB holds ~34,000 ordinary messages.
   */
  readonly structures = weighed<MessageStructure>(48 * 1024 * 1024, structureWeight);
  readonly headers = weighed<Buffer>(32 * 1024 * 1024, (header) => header.length + 64);
  readonly messages = weighed<Buffer>(4 * 1024 * 1024, (raw) => raw.length + 64);
}

const caches = new WeakMap<Store, ServingCache>();

export function servingCacheFor(store: Store): ServingCache {
  let cache = caches.get(store);
  if (!cache) caches.set(store, (cache = new ServingCache()));
  return cache;
}

export const cacheKey = (...parts: (string | number)[]): string => parts.join('\0');
