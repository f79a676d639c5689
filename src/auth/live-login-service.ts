/**
 * The LoginService the IMAP server is given (src/proxy/ports.ts): a user's ordinary mail
 * password is checked against the live server, recent successes are remembered, failures are
 * limited and slowed down, and a day-suffixed login (`alice#2026-11-23`) opens one day only.
 */
import type { LoginResult, LoginService, SnapshotView } from '../proxy/ports.js';
import { addressBlock, FailureLimits, type FailureLimitsOptions, type LimitScope, type LoginLimits } from './failure-limits.js';
import { type ClientOrigin, type LiveServer, type Verification, type VerifyPassword, verifyWithLiveServer } from '../upstream/index.js';
import { parseLoginName } from './login-name.js';
import { SuccessCache } from './success-cache.js';

/** Builds the view one session sees; null when there is nothing to show (e.g. no such day). */
export type ViewFactory = (account: string, day: string | null) => Promise<SnapshotView | null>;

/** The subset of a pino logger we use; pass `pino()` or a child of it. */
export interface AuthLogger {
  info(object: object, message?: string): void;
  warn(object: object, message?: string): void;
}

export interface LiveLoginOptions {
  upstream: LiveServer;
  /**
   * Tell the live server the user's address and port with each check (IMAP ID `x-originating-ip`;
   * default true), so its per-address penalties fall on the guessing client, not on everyone.
   */
  forwardClientIp?: boolean;
  /** How long a successful login is remembered (default 300 s; 0 turns the cache off). */
  cacheSeconds?: number;
  /** Pause before answering a failed or refused attempt (default 1500 ms). */
  failureDelayMs?: number;
  /** Separates account and day in a login name (default `#`; empty turns day logins off). */
  daySeparator?: string;
  /** Share failure limits through this Redis (`redis://host:6379/0`); in memory when absent. */
  redisUrl?: string;
  limits?: FailureLimitsOptions;
  /** Limits counted elsewhere — an IMAP worker's are the primary's (src/cluster); `redisUrl` and `limits` then go unused. */
  sharedLimits?: LoginLimits;
  logger?: AuthLogger;
  /** The live check; replaceable so tests can count live logins around the real one. */
  verify?: VerifyPassword;
}

export const TEXT_INVALID_CREDENTIALS = 'Invalid credentials';
export const TEXT_UNAVAILABLE = 'The mail server is not answering; try again in a few minutes';
export const TEXT_LIMIT = 'Too many failed logins; wait a while before trying again';
export const TEXT_NO_SNAPSHOT_DAY = 'No snapshot for that day';
export const TEXT_NO_SNAPSHOTS = 'No snapshots of this account exist yet';

/** How an attempt was judged, before its view is built; equal simultaneous attempts share one. */
type Judgement =
  | { kind: 'limit'; scope: LimitScope; retryAfterSeconds: number }
  | { kind: 'verified' }
  | { kind: 'rejected'; detail: string }
  | { kind: 'unavailable'; detail: string };

const silentLogger: AuthLogger = { info: () => undefined, warn: () => undefined };

export class LiveLoginService implements LoginService {
  private readonly upstream: LiveServer;
  private readonly forwardClientIp: boolean;
  private readonly failureDelayMs: number;
  private readonly daySeparator: string;
  private readonly verify: VerifyPassword;
  private readonly logger: AuthLogger;
  private readonly cache: SuccessCache;
  /** The failure limits this service counts against; an IMAP worker counts against the primary's (src/cluster). */
  readonly limits: LoginLimits;
  /** Live checks under way, by account + fingerprint: simultaneous equal logins share one. */
  private readonly pending = new Map<string, Promise<Verification>>();
  /**
   * Attempts under way, by account + client address + fingerprint. Equal attempts from one client
   * (a mail client opening many connections, an office behind one NAT) are one guess: they hold
   * one count against the limits, not one each, and so cannot lock out a right password.
   */
  private readonly attempts = new Map<string, Promise<Judgement>>();

  constructor(
    private readonly viewFactory: ViewFactory,
    options: LiveLoginOptions,
  ) {
    this.upstream = options.upstream;
    this.forwardClientIp = options.forwardClientIp ?? true;
    this.failureDelayMs = options.failureDelayMs ?? 1500;
    this.daySeparator = options.daySeparator ?? '#';
    this.verify = options.verify ?? verifyWithLiveServer;
    this.logger = options.logger ?? silentLogger;
    this.cache = new SuccessCache((options.cacheSeconds ?? 300) * 1000);
    this.limits =
      options.sharedLimits ??
      new FailureLimits(options.limits, options.redisUrl, (message, error) => this.logger.warn({ err: describeError(error) }, message));
  }

  /** `log`: the caller's logger (an IMAP session's names the session); this service's own by default. */
  async login(user: string, password: string, remoteAddress: string, remotePort?: number, log: AuthLogger = this.logger): Promise<LoginResult> {
    const name = parseLoginName(user, this.daySeparator);
    // A malformed name still counts against the address; '' stands for "no account".
    const account = name?.account ?? '';
    const context = { account, day: name?.day ?? null, remoteAddress };

    if (!name) {
      // Counted as a failure at once: there is no password worth judging.
      const verdict = await this.limits.begin(account, remoteAddress);
      if (!verdict.allowed) return this.refusedByLimit(context, verdict, log);
      await this.limits.settle(verdict.reservation, 'failure');
      log.info({ remoteAddress }, 'Login refused: malformed login name');
      return this.failed('AUTHENTICATIONFAILED', TEXT_INVALID_CREDENTIALS);
    }

    // A look before the slow hash: a locked-out client costs no scrypt and no live login.
    const check = await this.limits.peek(account, remoteAddress);
    if (!check.allowed) return this.refusedByLimit(context, check, log);

    const fingerprint = await this.cache.fingerprint(account, password);
    let judgement: Judgement;
    if (this.cache.has(account, fingerprint)) {
      // Known right: nothing is counted, so reconnecting clients never run into the limit.
      if (check.failuresCounted) await this.limits.forgive(account, remoteAddress);
      judgement = { kind: 'verified' };
    } else {
      judgement = await this.judgeOnce(account, password, fingerprint, { address: remoteAddress, port: remotePort }, log);
    }

    switch (judgement.kind) {
      case 'limit':
        return this.refusedByLimit(context, judgement, log);
      case 'unavailable':
        log.warn({ ...context, detail: judgement.detail }, 'Login not checked: live server unavailable');
        return { ok: false, code: 'UNAVAILABLE', text: TEXT_UNAVAILABLE };
      case 'rejected':
        log.info({ ...context, detail: judgement.detail }, 'Login refused: live server rejected the password');
        return this.failed('AUTHENTICATIONFAILED', TEXT_INVALID_CREDENTIALS);
      case 'verified':
        break;
    }

    const view = await this.viewFactory(account, name.day);
    if (!view) {
      log.info(context, 'Login refused: no snapshot to show');
      return { ok: false, code: 'AUTHENTICATIONFAILED', text: name.day ? TEXT_NO_SNAPSHOT_DAY : TEXT_NO_SNAPSHOTS };
    }
    return { ok: true, account, view };
  }

  /** Releases the Redis connection, if any. */
  async close(): Promise<void> {
    await this.limits.close();
  }

  /** One judgement per account + client + password at a time; latecomers share its answer. */
  private judgeOnce(account: string, password: string, fingerprint: Buffer, client: ClientOrigin, log: AuthLogger): Promise<Judgement> {
    const key = `${account}\0${addressBlock(client.address)}\0${fingerprint.toString('base64')}`;
    const running = this.attempts.get(key);
    if (running) return running;
    const judging = this.judge(account, password, fingerprint, client, log).finally(() => this.attempts.delete(key));
    this.attempts.set(key, judging);
    return judging;
  }

  /**
   * Counts the attempt as a failure until the live server answers (so a burst of different
   * guesses cannot all slip past the limit), then settles it by that answer.
   */
  private async judge(account: string, password: string, fingerprint: Buffer, client: ClientOrigin, log: AuthLogger): Promise<Judgement> {
    const remoteAddress = client.address;
    const verdict = await this.limits.begin(account, remoteAddress);
    if (!verdict.allowed) return { kind: 'limit', scope: verdict.scope, retryAfterSeconds: verdict.retryAfterSeconds };
    const { reservation } = verdict;
    const { verification, shared } = await this.verifyOnce(account, password, fingerprint, client);
    const { result, detail } = verification;
    if (result === 'unavailable') {
      await this.limits.settle(reservation, 'not-judged');
      return { kind: 'unavailable', detail };
    }
    if (result === 'rejected') {
      // The same password from another client at the same time is one guess: only the one that asked counts.
      await this.limits.settle(reservation, shared ? 'not-judged' : 'failure');
      return { kind: 'rejected', detail };
    }
    // Remembered before the attempt ends, so a login arriving right after finds the cache.
    this.cache.remember(account, fingerprint);
    await this.limits.settle(reservation, 'success');
    log.info({ account, remoteAddress }, 'Login verified on the live server');
    return { kind: 'verified' };
  }

  /** One live check per account + password at a time; latecomers share its answer. */
  private async verifyOnce(account: string, password: string, fingerprint: Buffer, client: ClientOrigin): Promise<{ verification: Verification; shared: boolean }> {
    const key = `${account}\0${fingerprint.toString('base64')}`;
    const running = this.pending.get(key);
    if (running) return { verification: await running, shared: true };
    const check = this.verifySafely(account, password, client).finally(() => this.pending.delete(key));
    this.pending.set(key, check);
    return { verification: await check, shared: false };
  }

  private async verifySafely(account: string, password: string, client: ClientOrigin): Promise<Verification> {
    try {
      return await this.verify(this.upstream, account, password, this.forwardClientIp ? client : undefined);
    } catch (error) {
      // A replacement verifier may throw; its message is not trusted to be free of the password.
      return { result: 'unavailable', detail: `verifier failed (${error instanceof Error ? error.name : typeof error})` };
    }
  }

  private refusedByLimit(context: object, refusal: { scope: LimitScope; retryAfterSeconds: number }, log: AuthLogger): Promise<LoginResult> {
    log.warn({ ...context, limit: refusal.scope, retryAfterSeconds: refusal.retryAfterSeconds }, 'Login refused: too many failures');
    return this.failed('LIMIT', TEXT_LIMIT);
  }

  /** Failed and refused attempts answer late, to slow down guessing. */
  private async failed(code: 'AUTHENTICATIONFAILED' | 'LIMIT', text: string): Promise<LoginResult> {
    if (this.failureDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.failureDelayMs));
    return { ok: false, code, text };
  }
}

/** Errors of the limit store (Redis) as a short line; they never carry a password. */
function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}
