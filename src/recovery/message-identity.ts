/**
 * The one definition of "the same message" a restore uses, for planning (snapshot side) and for the
 * presence check (live side): both compute it with these functions from the same kind of input, so
 * a message the restore just APPENDed is always recognised by the next run.
 *
 * - By Message-ID: every Message-ID header field of the message, in order (a message may carry
 *   two; Dovecot's ENVELOPE shows the last, other readers the first — using all of them needs no
 *   choice), whitespace removed (so refolding by a server does not hide a match), plus RFC822.SIZE.
 *   The fields come from the raw header bytes: the stored header block on the snapshot side,
 *   `BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]` on the live side, read by the same header parser.
 * - Otherwise (no Message-ID, or only empty ones): the SHA-256 of the message's bytes, which is the
 *   snapshot blob's own name.
 *
 * A live message is also hashed when its size matches a planned message it did not match by
 * Message-ID, so a server that rewrote or dropped the header field still gets its copy recognised.
 */
import { createHash } from 'node:crypto';
import { headerFields } from '../mail/analyze.js';

/** Identity of a planned (snapshot) message. */
export interface PlannedIdentity {
  /** `id:…` key, or null when the message has no usable Message-ID. */
  idKey: string | null;
  /** `sha:<blob hash>`: always known on the snapshot side. */
  shaKey: string;
}

/** What the presence check learnt about one live message. */
export interface LiveIdentity {
  idKey: string | null;
  /** Set only when the live message's bytes were hashed. */
  shaKey: string | null;
}

/** Header lines of a raw header block (or a HEADER.FIELDS answer), as the MIME analyser splits them. */
function headerLines(header: Buffer): string[] {
  // latin1 maps every byte to one char: the same bytes give the same string on both sides.
  const text = header.toString('latin1');
  const lines: string[] = [];
  let start = 0;
  for (;;) {
    const end = text.indexOf('\n', start);
    if (end < 0) break;
    const line = text.slice(start, end + 1);
    // The empty line ends the header block.
    if (line === '\n' || line === '\r\n') return lines;
    lines.push(line);
    start = end + 1;
  }
  if (start < text.length) lines.push(text.slice(start));
  return lines;
}

/** Every non-empty Message-ID value of the header block, in order, with all whitespace removed. */
export function messageIdsOf(header: Buffer): string[] {
  const ids: string[] = [];
  for (const [name, value] of headerFields(headerLines(header))) {
    if (name !== 'message-id') continue;
    const compact = value.replace(/[\s]+/g, '');
    if (compact !== '' && compact !== '<>') ids.push(compact);
  }
  return ids;
}

/** The Message-ID key of a message, or null when it has no usable Message-ID. */
export function idKeyOf(header: Buffer, size: number): string | null {
  const ids = messageIdsOf(header);
  if (ids.length === 0) return null;
  // Hashed: a malformed header may hold a 100 KB "Message-ID", the key stays small.
  return `id:${size}:${createHash('sha256').update(ids.join('\n'), 'latin1').digest('hex')}`;
}

export function shaKeyOf(blobHash: string): string {
  return `sha:${blobHash}`;
}

export function plannedIdentity(header: Buffer, size: number, blobHash: string): PlannedIdentity {
  return { idKey: idKeyOf(header, size), shaKey: shaKeyOf(blobHash) };
}

export function liveIdentity(header: Buffer, size: number): LiveIdentity {
  return { idKey: idKeyOf(header, size), shaKey: null };
}

/** Whether a live message must be hashed to be compared (see the module comment). */
export function needsHash(live: LiveIdentity, size: number, wanted: { idKeys: Set<string>; sizes: Set<number> }): boolean {
  if (live.idKey !== null && wanted.idKeys.has(live.idKey)) return false;
  return wanted.sizes.has(size);
}

export function wantedOf(planned: Array<{ identity: PlannedIdentity; size: number }>): { idKeys: Set<string>; sizes: Set<number> } {
  const idKeys = new Set<string>();
  const sizes = new Set<number>();
  for (const message of planned) {
    if (message.identity.idKey) idKeys.add(message.identity.idKey);
    sizes.add(message.size);
  }
  return { idKeys, sizes };
}

/**
 * Splits planned messages into those the live folder already holds and the missing ones, as
 * multisets: each live message accounts for at most one planned message (two identical snapshot
 * messages need two live copies). A planned message matches by Message-ID key first, else by hash.
 */
export function splitByPresence<T extends { identity: PlannedIdentity }>(planned: T[], live: LiveIdentity[]): { present: T[]; missing: T[] } {
  const byId = new Map<string, number>();
  const bySha = new Map<string, number>();
  // A live message counts under one key only: its hash when it was hashed (its id key was not
  // wanted), else its id key.
  for (const message of live) {
    if (message.shaKey) bySha.set(message.shaKey, (bySha.get(message.shaKey) ?? 0) + 1);
    else if (message.idKey) byId.set(message.idKey, (byId.get(message.idKey) ?? 0) + 1);
  }
  const take = (counts: Map<string, number>, key: string | null): boolean => {
    if (key === null) return false;
    const count = counts.get(key) ?? 0;
    if (count === 0) return false;
    counts.set(key, count - 1);
    return true;
  };
  const out = { present: [] as T[], missing: [] as T[] };
  for (const message of planned) {
    if (take(byId, message.identity.idKey) || take(bySha, message.identity.shaKey)) out.present.push(message);
    else out.missing.push(message);
  }
  return out;
}
