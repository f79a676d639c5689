/**
 * Sessions of the web interface. Signing in checks the mail password once (through the same
 * LoginService as IMAP, so limits and lockout are shared) and then only the session's random id
 * travels, in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS). The server keeps, per
 * session, the account it acts for and a CSRF token; the password is kept nowhere — not in the
 * browser, not after the check, not on disk.
 *
 * Sessions live in this process's memory, or in Redis when `redis.url` is set, so that several
 * `mtm serve` instances behind one address share them and a restart keeps people signed in. Redis
 * holds them under a hash of the id: reading Redis gives no cookie that works.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Redis } from 'ioredis';
import { closeRedis, openRedis } from '../../coordination/index.js';
import { ApiError } from '../router.js';

export const SESSION_COOKIE = 'mtm_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface WebSession {
  id: string;
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

type StoredSession = Omit<WebSession, 'id'>;

/** Where sessions are kept, by a hash of their id; entries vanish by themselves after `ttlSeconds`. */
export interface SessionStore {
  get(key: string): Promise<StoredSession | null>;
  put(key: string, session: StoredSession, ttlSeconds: number): Promise<void>;
  delete(key: string): Promise<void>;
  close(): Promise<void>;
}

export class MemorySessionStore implements SessionStore {
  private readonly entries = new Map<string, { session: StoredSession; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async get(key: string): Promise<StoredSession | null> {
    const entry = this.entries.get(key);
    if (!entry) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return null;
    }
    return { ...entry.session };
  }

  async put(key: string, session: StoredSession, ttlSeconds: number): Promise<void> {
    const at = this.now();
    // Sweep now and then, so abandoned sessions do not pile up.
    if (this.entries.size % 256 === 0) for (const [other, entry] of this.entries) if (entry.expiresAt <= at) this.entries.delete(other);
    this.entries.set(key, { session: { ...session }, expiresAt: at + ttlSeconds * 1000 });
  }

  async delete(key: string): Promise<void> {
    this.entries.delete(key);
  }

  async close(): Promise<void> {
    this.entries.clear();
  }
}

export class RedisSessionStore implements SessionStore {
  private readonly redis: Redis;

  constructor(url: string, private readonly prefix = 'mtm:web:session:') {
    this.redis = openRedis(url);
    // Errors surface on the commands; without a listener ioredis would also print them.
    this.redis.on('error', () => undefined);
  }

  async get(key: string): Promise<StoredSession | null> {
    const text = await this.redis.get(this.prefix + key);
    return text ? (JSON.parse(text) as StoredSession) : null;
  }

  async put(key: string, session: StoredSession, ttlSeconds: number): Promise<void> {
    await this.redis.set(this.prefix + key, JSON.stringify(session), 'EX', Math.max(1, Math.ceil(ttlSeconds)));
  }

  async delete(key: string): Promise<void> {
    await this.redis.del(this.prefix + key);
  }

  async close(): Promise<void> {
    await closeRedis(this.redis);
  }
}

export interface WebSessionOptions {
  /** Signed out after this long without a request. */
  idleSeconds?: number;
  /** Signed out this long after signing in, however active. */
  maxAgeSeconds?: number;
  /** Kept in memory when absent. */
  store?: SessionStore;
  /** Injected clock (tests). */
  now?: () => number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);
/** A session's idle clock is written back at most this often (one store write per minute, not per request). */
const TOUCH_EVERY_MS = 30_000;

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

const keyOf = (id: string): string => createHash('sha256').update(id).digest('hex');

export function isTls(req: IncomingMessage): boolean {
  return Boolean((req.socket as Partial<TLSSocket>).encrypted);
}

/** The value of one cookie of the request, or null. */
export function cookieOf(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export class WebSessions {
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly store: SessionStore;

  constructor(options: WebSessionOptions = {}) {
    this.idleMs = (options.idleSeconds ?? 30 * 60) * 1000;
    this.maxAgeMs = (options.maxAgeSeconds ?? 12 * 60 * 60) * 1000;
    this.now = options.now ?? Date.now;
    this.store = options.store ?? new MemorySessionStore(this.now);
  }

  private ttlSeconds(session: StoredSession): number {
    const at = this.now();
    return Math.min(this.idleMs, session.createdAt + this.maxAgeMs - at) / 1000;
  }

  private expired(session: StoredSession): boolean {
    const at = this.now();
    return at - session.lastSeenAt > this.idleMs || at - session.createdAt > this.maxAgeMs;
  }

  private async storeCall<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch {
      throw new ApiError(503, 'unavailable', 'the session store (Redis) is not answering; try again in a minute', { 'retry-after': '60' });
    }
  }

  async create(account: string): Promise<WebSession> {
    const at = this.now();
    const session: WebSession = { id: randomBytes(32).toString('base64url'), account, csrfToken: randomBytes(32).toString('base64url'), createdAt: at, lastSeenAt: at };
    const { id, ...stored } = session;
    await this.storeCall(() => this.store.put(keyOf(id), stored, this.ttlSeconds(stored)));
    return session;
  }

  /** The live session the request's cookie names (its idle clock restarted), or null. */
  async current(req: IncomingMessage): Promise<WebSession | null> {
    const id = cookieOf(req, SESSION_COOKIE);
    if (!id) return null;
    const key = keyOf(id);
    const stored = await this.storeCall(() => this.store.get(key));
    if (!stored) return null;
    if (this.expired(stored)) {
      await this.storeCall(() => this.store.delete(key));
      return null;
    }
    const at = this.now();
    if (at - stored.lastSeenAt >= TOUCH_EVERY_MS) {
      stored.lastSeenAt = at;
      await this.storeCall(() => this.store.put(key, stored, this.ttlSeconds(stored)));
    }
    return { id, ...stored };
  }

  async end(session: WebSession): Promise<void> {
    await this.storeCall(() => this.store.delete(keyOf(session.id)));
  }

  /**
   * The account a cookie-carrying request acts for; null when it carries no session cookie (the
   * caller then tries HTTP Basic). A cookie of an ended or expired session is a 401 without a Basic
   * challenge (a challenge would make the browser pop up its own password dialog). A state-changing
   * request must echo the session's CSRF token in a header, which another site cannot read or send.
   */
  async accountFor(req: IncomingMessage): Promise<string | null> {
    if (cookieOf(req, SESSION_COOKIE) === null) return null;
    const session = await this.current(req);
    if (!session) throw new ApiError(401, 'session-expired', 'your session has ended; sign in again');
    if (!SAFE_METHODS.has(req.method ?? 'GET')) {
      const token = req.headers[CSRF_HEADER];
      if (typeof token !== 'string' || !sameToken(token, session.csrfToken)) {
        throw new ApiError(403, 'csrf', 'this request did not come from the web interface (missing or wrong CSRF token); reload the page and try again');
      }
    }
    return session.account;
  }

  /** The Set-Cookie value that gives (or, with null, takes away) the session. */
  cookie(req: IncomingMessage, session: WebSession | null): string {
    const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(isTls(req) ? ['Secure'] : [])];
    if (!session) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
    return [`${SESSION_COOKIE}=${session.id}`, `Max-Age=${Math.floor(this.maxAgeMs / 1000)}`, ...attributes].join('; ');
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** Sessions in Redis when a URL is configured, else in memory. */
export function webSessionsFor(redisUrl: string | undefined): WebSessions {
  return new WebSessions(redisUrl ? { store: new RedisSessionStore(redisUrl) } : {});
}
