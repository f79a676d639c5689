/**
 * Splitting the nightly run between several `mtm serve` instances: before snapshotting an account
 * for a day, an instance claims it. Without Redis every claim is granted (one instance, as ever).
 * With Redis a claim is a lock key (SET NX PX, renewed while the snapshot runs, so a dead holder's
 * lock expires) plus a "done" key once the day is committed, so each account is snapshotted once
 * per day across instances.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { DayLabel } from '../snapshots/day-label.js';
import { closeRedis, openRedis } from './redis-connection.js';

export interface SnapshotClaim {
  /** The account's snapshot of the day is committed: no instance takes it again that day. */
  finish(): Promise<void>;
  /** Hands the account back (the snapshot failed), so a later run on any instance may try again. */
  release(): Promise<void>;
}

export interface SnapshotClaims {
  /** null when another instance holds the account's snapshot for the day or has finished it. */
  claim(account: string, day: DayLabel): Promise<SnapshotClaim | null>;
  close(): Promise<void>;
}

/** Where claim trouble is reported (lost locks, Redis unreachable). */
export type ClaimWarning = (message: string, detail: Record<string, unknown>) => void;

const GRANTED: SnapshotClaim = { finish: async () => undefined, release: async () => undefined };

/** One instance alone: every claim is granted, as without coordination. */
export const soleInstanceClaims: SnapshotClaims = {
  claim: async () => GRANTED,
  close: async () => undefined,
};

export interface RedisClaimsOptions {
  /** Keys are `<prefix>:snapshot:<day>:<account>:{lock,done}`; distinct deployments use distinct prefixes. */
  keyPrefix?: string;
  /** How long a lock outlives its last renewal (default 60 s); renewed every third of it. */
  lockTtlMs?: number;
  /** How long the "done" marker of a day is kept (default 3 days). */
  doneTtlMs?: number;
  warn?: ClaimWarning;
}

// Atomic: a finished day is never claimed again, and the lock is taken only if nobody holds it.
const CLAIM_SCRIPT = `
if redis.call('exists', KEYS[2]) == 1 then return 'done' end
if redis.call('set', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 'claimed' end
return 'held'`;
const RENEW_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) end
return 0`;
// The done marker is set even if the lock was lost meanwhile: the snapshot is committed either way.
const FINISH_SCRIPT = `
redis.call('set', KEYS[2], ARGV[2], 'PX', ARGV[3])
if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('del', KEYS[1]) end
return 1`;
const RELEASE_SCRIPT = `
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0`;

export class RedisSnapshotClaims implements SnapshotClaims {
  private readonly redis: Redis;
  private readonly ownsConnection: boolean;
  private readonly keyPrefix: string;
  private readonly lockTtlMs: number;
  private readonly doneTtlMs: number;
  private readonly warn: ClaimWarning;
  /** Identifies this instance in lock values, for an operator looking at Redis. */
  private readonly holder = `${hostname()}:${process.pid}`;

  constructor(redis: string | Redis, options: RedisClaimsOptions = {}) {
    this.ownsConnection = typeof redis === 'string';
    this.redis = typeof redis === 'string' ? openRedis(redis) : redis;
    if (this.ownsConnection) this.redis.on('error', () => undefined); // reported per claim instead
    this.keyPrefix = options.keyPrefix ?? 'mtm';
    this.lockTtlMs = options.lockTtlMs ?? 60_000;
    this.doneTtlMs = options.doneTtlMs ?? 3 * 24 * 3600_000;
    this.warn = options.warn ?? (() => undefined);
  }

  keys(account: string, day: DayLabel): { lock: string; done: string } {
    const base = `${this.keyPrefix}:snapshot:${day}:${account}`;
    return { lock: `${base}:lock`, done: `${base}:done` };
  }

  async claim(account: string, day: DayLabel): Promise<SnapshotClaim | null> {
    const keys = this.keys(account, day);
    const token = `${this.holder}:${randomUUID()}`;
    let answer: string;
    try {
      answer = String(await this.redis.eval(CLAIM_SCRIPT, 2, keys.lock, keys.done, token, this.lockTtlMs));
    } catch (error) {
      // A missed night is worse than a snapshot taken twice: without Redis, go ahead alone.
      this.warn('Redis unreachable: snapshotting without coordination', { account, day, error: (error as Error).message });
      return GRANTED;
    }
    if (answer !== 'claimed') return null;
    return this.heldClaim(account, day, keys, token);
  }

  private heldClaim(account: string, day: DayLabel, keys: { lock: string; done: string }, token: string): SnapshotClaim {
    let lost = false;
    const renewal = setInterval(() => {
      this.redis.eval(RENEW_SCRIPT, 1, keys.lock, token, this.lockTtlMs).then(
        (renewed) => {
          if (Number(renewed) === 0 && !lost) {
            lost = true;
            this.warn('snapshot lock lost (expired and taken over); another instance may snapshot this account too', { account, day });
          }
        },
        (error: Error) => this.warn('cannot renew snapshot lock', { account, day, error: error.message }),
      );
    }, Math.max(Math.floor(this.lockTtlMs / 3), 10));
    renewal.unref();
    const settle = async (script: string, args: (string | number)[]) => {
      clearInterval(renewal);
      try {
        await this.redis.eval(script, 2, keys.lock, keys.done, ...args);
      } catch (error) {
        this.warn('cannot update snapshot lock', { account, day, error: (error as Error).message });
      }
    };
    return {
      finish: () => settle(FINISH_SCRIPT, [token, this.holder, this.doneTtlMs]),
      release: async () => {
        clearInterval(renewal);
        try {
          await this.redis.eval(RELEASE_SCRIPT, 1, keys.lock, token);
        } catch (error) {
          this.warn('cannot release snapshot lock; it expires by itself', { account, day, error: (error as Error).message });
        }
      },
    };
  }

  async close(): Promise<void> {
    if (this.ownsConnection) await closeRedis(this.redis);
  }
}

/** The claims for a configuration: Redis when `redis.url` is set, otherwise one instance alone. */
export function claimsFor(redisUrl: string, options: RedisClaimsOptions = {}): SnapshotClaims {
  return redisUrl ? new RedisSnapshotClaims(redisUrl, options) : soleInstanceClaims;
}
