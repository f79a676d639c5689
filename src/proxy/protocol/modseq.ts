/**
 * Mod-sequences (RFC 7162 CONDSTORE/QRESYNC) of snapshot folders, in one place.
 *
 * The design: a snapshot folder never changes, so one mod-sequence describes all of it. Every
 * message's MODSEQ is the folder's HIGHESTMODSEQ, which is the live folder's HIGHESTMODSEQ when it
 * was captured (stored with the folder version; 1 when the live server has no CONDSTORE). SELECT,
 * STATUS, FETCH MODSEQ, CHANGEDSINCE, SEARCH MODSEQ and QRESYNC all read it from here, so they agree
 * with each other and with what earlier sessions were told, across restarts. A client that cached a
 * folder at that value has nothing to resync; one that holds an older (or another server's) value
 * is told that every message may have changed, which is always a correct answer.
 */

/** Largest mod-sequence value (RFC 7162 §7: mod-sequence-value = 1*DIGIT, < 2^63). */
const MAX_MODSEQ = (1n << 63n) - 1n;

/**
 * A mod-sequence value as a client sends it (digits only, 0 allowed where RFC 7162 uses
 * mod-sequence-valzer); null when it is not one. BigInt because values reach 2^63.
 */
export function parseModseq(text: string): bigint | null {
  if (!/^\d{1,19}$/.test(text)) return null;
  const value = BigInt(text);
  return value <= MAX_MODSEQ ? value : null;
}

/** The MODSEQ of every message of the folder, and so its HIGHESTMODSEQ. */
export function folderModseq(mailbox: { highestModseq: number }): bigint {
  const value = Number.isSafeInteger(mailbox.highestModseq) && mailbox.highestModseq > 0 ? mailbox.highestModseq : 1;
  return BigInt(value);
}

/** True when a client holding mod-sequence `since` may have missed changes (RFC 7162 CHANGEDSINCE: MODSEQ > since). */
export function changedSince(mailbox: { highestModseq: number }, since: bigint): boolean {
  return folderModseq(mailbox) > since;
}
