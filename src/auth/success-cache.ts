/**
 * Remembers recent successful logins for a few minutes, so a mail client opening ten connections
 * causes one live login, not ten. Only a salted scrypt hash of the password is kept: the salt is
 * random per process, so the entries are useless outside it, and the password itself is never stored.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/** scrypt cost: slow enough to make a dumped cache expensive to attack, fast enough per login. */
const SCRYPT_COST = 16384;
const HASH_BYTES = 32;
/** Bounds memory under a flood of distinct successful logins; the oldest entries go first. */
const DEFAULT_MAX_ENTRIES = 10_000;

interface Remembered {
  hash: Buffer;
  expiresAt: number;
}

export class SuccessCache {
  private readonly salt = randomBytes(16);
  /** account → remembered success; Map order is insertion order, which makes eviction oldest-first. */
  private readonly entries = new Map<string, Remembered>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = DEFAULT_MAX_ENTRIES,
  ) {}

  /** The salted slow hash a password is remembered by; compute once and pass to has/remember. */
  async fingerprint(account: string, password: string): Promise<Buffer> {
    // The account is part of the input so equal passwords of two users give different hashes.
    const input = Buffer.concat([Buffer.from(account, 'utf8'), Buffer.from([0]), Buffer.from(password, 'utf8')]);
    return new Promise((resolve, reject) => {
      scrypt(input, this.salt, HASH_BYTES, { N: SCRYPT_COST }, (error, key) => (error ? reject(error) : resolve(key)));
    });
  }

  /** True when this account logged in with a password of this fingerprint less than ttl ago. */
  has(account: string, fingerprint: Buffer): boolean {
    const entry = this.entries.get(account);
    if (!entry) return false;
    if (entry.expiresAt <= Date.now()) {
      this.entries.delete(account);
      return false;
    }
    return timingSafeEqual(entry.hash, fingerprint);
  }

  remember(account: string, fingerprint: Buffer): void {
    if (this.ttlMs <= 0) return;
    this.entries.delete(account);
    this.entries.set(account, { hash: fingerprint, expiresAt: Date.now() + this.ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  /** Forgets an account, e.g. after the live server rejected a password we had cached. */
  forget(account: string): void {
    this.entries.delete(account);
  }

  get size(): number {
    return this.entries.size;
  }
}
