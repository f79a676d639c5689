/**
 * The one error a BlobStore throws when the stored bytes of a message are not what was put: a
 * checksum or hash that does not match, a header that does not add up, a file cut short, a disk
 * read error. Callers (IMAP, HTTP, restores, verify) act on this type and never on file layouts.
 */
export class BlobDamagedError extends Error {
  override readonly name = 'BlobDamagedError';

  constructor(
    readonly account: string,
    readonly hash: string,
    /** What is wrong, for logs and operators: "chunk 2 fails its checksum". */
    readonly problem: string,
  ) {
    super(`stored message ${hash} of account ${account} is damaged: ${problem}`);
  }
}

/** Told of every damaged read, once per detection: logs it and counts it (wired by whoever opens the store). */
export type BlobDamageObserver = (damage: BlobDamagedError) => void;
