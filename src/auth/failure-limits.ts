/**
 * Limits on failed logins (rate-limiter-flexible): per account+IP (the guessing client), per IP
 * (one address trying many accounts) and per account (many addresses trying one account).
 * Only failures stay counted; a refused attempt is answered without asking the live server.
 * In memory by default; over Redis when a URL is given, so every server instance sees the same
 * counts and a lockout on one applies on all.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { addressBlock } from '../client-address.js';

// Kept importable from here: the limits count clients by it.
export { addressBlock };

export interface FailureLimit {
  /** Failures allowed within the window; reaching it locks the key. */
  failures: number;
  windowSeconds: number;
  /** How long a locked key stays locked. */
  lockSeconds: number;
}

export interface FailureLimitsOptions {
  /** Failures of one account from one address: the common guessing attack. */
  accountAndIp?: FailureLimit;
  /** All failures from one address, whatever the account. */
  ip?: FailureLimit;
  /** All failures against one account, whatever the address; set `failures: 0` to turn off. */
  account?: FailureLimit;
  /** Prefix of the Redis keys, so instances of one deployment share and others don't collide. */
  keyPrefix?: string;
}

export const DEFAULT_FAILURE_LIMITS: Required<Omit<FailureLimitsOptions, 'keyPrefix'>> = {
  accountAndIp: { failures: 10, windowSeconds: 15 * 60, lockSeconds: 15 * 60 },
  ip: { failures: 50, windowSeconds: 60 * 60, lockSeconds: 60 * 60 },
  account: { failures: 100, windowSeconds: 60 * 60, lockSeconds: 30 * 60 },
};

/** How long the first attempts wait for Redis to connect before counting in memory instead. */
const REDIS_STARTUP_WAIT_MS = 2000;

export type LimitScope = 'accountAndIp' | 'ip' | 'account';

/** The counts an allowed attempt holds until it is settled. */
export interface Reservation {
  account: string;
  ip: string;
  held: Array<{ scope: LimitScope; consumed: number }>;
}

/** Why an attempt is refused: which limit, and when that key opens again. */
export interface LimitRefusal {
  allowed: false;
  scope: LimitScope;
  retryAfterSeconds: number;
}

export type LimitVerdict = { allowed: true; reservation: Reservation } | LimitRefusal;

/** What a look at the counts without counting says; `failuresCounted` is for account+IP. */
export type LimitCheck = { allowed: true; failuresCounted: boolean } | LimitRefusal;

/** How an attempt ended: only a password the live server judged wrong stays counted. */
export type AttemptOutcome = 'failure' | 'success' | 'not-judged';

/** Where warnings about the limit store go (Redis down and the like). */
export type LimitWarning = (message: string, error: unknown) => void;

/** What a login service needs of the limits: FailureLimits, or the primary's over IPC in an IMAP worker. */
export type LoginLimits = Pick<FailureLimits, 'begin' | 'peek' | 'forgive' | 'settle' | 'close'>;

interface ScopedLimiter {
  scope: LimitScope;
  limit: FailureLimit;
  limiter: RateLimiterAbstract;
  key(account: string, ip: string): string;
}

export class FailureLimits {
  private readonly limiters: ScopedLimiter[];
  private readonly redis: Redis | undefined;
  /** Settles once Redis first answers (or gave up trying for a while); attempts wait for it. */
  private readonly redisReady: Promise<void> | undefined;

  constructor(
    options: FailureLimitsOptions = {},
    redisUrl?: string,
    private readonly warn: LimitWarning = () => undefined,
  ) {
    const keyPrefix = options.keyPrefix ?? 'mtm-auth';
    if (redisUrl) {
      this.redis = new Redis(redisUrl, {
        // A login must not hang on Redis: fail fast and let the in-memory insurance answer.
        maxRetriesPerRequest: 1,
        commandTimeout: 2000,
        connectTimeout: 5000,
      });
      this.redis.on('error', (error: unknown) => this.warn('Redis for login limits is not reachable', error));
      const redis = this.redis;
      this.redisReady = new Promise((resolve) => {
        // Without this wait, the first logins after start would be counted in memory only.
        const giveUp = setTimeout(resolve, REDIS_STARTUP_WAIT_MS);
        giveUp.unref();
        redis.once('ready', () => {
          clearTimeout(giveUp);
          resolve();
        });
      });
    }
    const keys: Record<LimitScope, ScopedLimiter['key']> = {
      accountAndIp: (account, ip) => `${account}|${addressBlock(ip)}`,
      ip: (_account, ip) => addressBlock(ip),
      account: (account) => account,
    };
    this.limiters = (Object.keys(keys) as LimitScope[])
      .map((scope) => ({ scope, limit: options[scope] ?? DEFAULT_FAILURE_LIMITS[scope] }))
      .filter(({ limit }) => limit.failures > 0)
      .map(({ scope, limit }) => ({
        scope,
        limit,
        key: keys[scope],
        limiter: this.createLimiter(`${keyPrefix}:${scope}`, limit),
      }));
  }

  private createLimiter(keyPrefix: string, limit: FailureLimit): RateLimiterAbstract {
    const shape = { keyPrefix, points: limit.failures, duration: limit.windowSeconds };
    if (!this.redis) return new RateLimiterMemory(shape);
    return new RateLimiterRedis({
      ...shape,
      storeClient: this.redis,
      // While Redis is down, answer from the insurance at once instead of queueing the command.
      rejectIfRedisNotReady: true,
      // While Redis is away, each instance keeps limiting on its own rather than not at all.
      insuranceLimiter: new RateLimiterMemory(shape),
    });
  }

  /**
   * Starts an attempt. Every attempt counts as a failure until settled, so a burst of parallel
   * guesses cannot all slip past the limit before the first answer comes back. A refused
   * attempt holds nothing. Store errors allow the attempt (and warn): limits must not lock
   * everybody out when Redis is down.
   */
  async begin(account: string, ip: string): Promise<LimitVerdict> {
    if (this.redisReady) await this.redisReady;
    const counted = await Promise.all(
      this.limiters.map(async ({ scope, limit, limiter, key }) => {
        try {
          const state = await limiter.consume(key(account, ip));
          return { scope, limit, consumed: state.consumedPoints, msBeforeNext: state.msBeforeNext };
        } catch (refusal) {
          // consume() rejects with the counter state once the points are exhausted.
          if (refusal instanceof RateLimiterRes) {
            return { scope, limit, consumed: refusal.consumedPoints, msBeforeNext: refusal.msBeforeNext };
          }
          this.warn(`Could not count an attempt against the ${scope} login limit`, refusal);
          return null;
        }
      }),
    );
    const held = counted.filter((entry) => entry !== null);
    const reservation: Reservation = { account, ip, held: held.map(({ scope, consumed }) => ({ scope, consumed })) };
    const exceeded = held.find(({ limit, consumed }) => consumed > limit.failures);
    if (exceeded) {
      await this.release(reservation);
      return { allowed: false, scope: exceeded.scope, retryAfterSeconds: Math.ceil(exceeded.msBeforeNext / 1000) };
    }
    return { allowed: true, reservation };
  }

  /**
   * Looks whether an attempt would be refused, without counting one: true for a locked key and
   * for one whose failures and pending attempts already fill the limit. Lets a password already
   * known to be right (the success cache) in without holding a count, while a lock still holds
   * for it, so a locked-out guesser cannot go on testing guesses against the cache. Store errors
   * allow, as in begin().
   */
  async peek(account: string, ip: string): Promise<LimitCheck> {
    if (this.redisReady) await this.redisReady;
    const looked = await Promise.all(
      this.limiters.map(async ({ scope, limit, limiter, key }) => {
        try {
          const state = await limiter.get(key(account, ip));
          return { scope, limit, consumed: state?.consumedPoints ?? 0, msBeforeNext: state?.msBeforeNext ?? 0 };
        } catch (error) {
          this.warn(`Could not read the ${scope} login limit`, error);
          return null;
        }
      }),
    );
    const states = looked.filter((entry) => entry !== null);
    // The next counted attempt would be consumed + 1, refused once above the limit (as in begin).
    const full = states.find(({ limit, consumed }) => consumed >= limit.failures);
    if (full) return { allowed: false, scope: full.scope, retryAfterSeconds: Math.ceil(full.msBeforeNext / 1000) };
    return { allowed: true, failuresCounted: states.some(({ scope, consumed }) => scope === 'accountAndIp' && consumed > 0) };
  }

  /** A login with the right password: the user who mistyped a few times starts over. */
  async forgive(account: string, ip: string): Promise<void> {
    const scoped = this.limiters.find(({ scope }) => scope === 'accountAndIp');
    if (!scoped) return;
    try {
      await scoped.limiter.delete(scoped.key(account, ip));
    } catch (error) {
      this.warn('Could not reset the accountAndIp login limit', error);
    }
  }

  /**
   * Ends an attempt. A failure stays counted, and the failure that reaches a limit locks that
   * key for lockSeconds. Anything else gives the count back; a success also clears the
   * account+IP count, so a user who mistyped a few times starts over.
   */
  async settle(reservation: Reservation, outcome: AttemptOutcome): Promise<void> {
    if (outcome === 'failure') {
      await this.forEachHeld(reservation, 'lock', ({ limit, limiter }, key, consumed) =>
        consumed >= limit.failures ? limiter.block(key, limit.lockSeconds) : undefined,
      );
      return;
    }
    await this.release(reservation);
    if (outcome === 'success') await this.forgive(reservation.account, reservation.ip);
  }

  private release(reservation: Reservation): Promise<void> {
    return this.forEachHeld(reservation, 'give back an attempt to', ({ limiter }, key) => limiter.reward(key));
  }

  private async forEachHeld(
    reservation: Reservation,
    action: string,
    operation: (scoped: ScopedLimiter, key: string, consumed: number) => Promise<unknown> | undefined,
  ): Promise<void> {
    await Promise.all(
      reservation.held.map(async ({ scope, consumed }) => {
        const scoped = this.limiters.find((candidate) => candidate.scope === scope);
        if (!scoped) return;
        try {
          await operation(scoped, scoped.key(reservation.account, reservation.ip), consumed);
        } catch (error) {
          this.warn(`Could not ${action} the ${scope} login limit`, error);
        }
      }),
    );
  }

  async close(): Promise<void> {
    if (!this.redis) return;
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}
