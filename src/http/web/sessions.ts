/**
 * Sessions of the web interface. Signing in checks the mail password once (through the same
 * LoginService as IMAP, so limits and lockout are shared) and then only the session's random id
 * travels, in an HttpOnly, SameSite=Strict cookie (Secure over HTTPS). The server keeps, per
 * session, the account it acts for and a CSRF token; the password is kept nowhere — not in the
 * browser, not in memory after the check, not on disk. Sessions live in this process's memory:
 * a restart signs everybody out, which is the safe direction.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { ApiError } from '../../recovery/http/router.js';

export const SESSION_COOKIE = 'mtm_session';
export const CSRF_HEADER = 'x-csrf-token';

export interface WebSession {
  id: string;
  account: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
}

export interface WebSessionOptions {
  /** Signed out after this long without a request. */
  idleSeconds?: number;
  /** Signed out this long after signing in, however active. */
  maxAgeSeconds?: number;
  /** Injected clock (tests). */
  now?: () => number;
}

const SAFE_METHODS = new Set(['GET', 'HEAD']);

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

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
  private readonly sessions = new Map<string, WebSession>();
  private readonly idleMs: number;
  private readonly maxAgeMs: number;
  private readonly now: () => number;

  constructor(options: WebSessionOptions = {}) {
    this.idleMs = (options.idleSeconds ?? 30 * 60) * 1000;
    this.maxAgeMs = (options.maxAgeSeconds ?? 12 * 60 * 60) * 1000;
    this.now = options.now ?? Date.now;
  }

  create(account: string): WebSession {
    this.sweep();
    const at = this.now();
    const session: WebSession = { id: randomBytes(32).toString('base64url'), account, csrfToken: randomBytes(32).toString('base64url'), createdAt: at, lastSeenAt: at };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session the request's cookie names (touched), or null. */
  current(req: IncomingMessage): WebSession | null {
    const id = cookieOf(req, SESSION_COOKIE);
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    const at = this.now();
    if (at - session.lastSeenAt > this.idleMs || at - session.createdAt > this.maxAgeMs) {
      this.sessions.delete(id);
      return null;
    }
    session.lastSeenAt = at;
    return session;
  }

  end(session: WebSession): void {
    this.sessions.delete(session.id);
  }

  /**
   * The account a cookie-carrying request acts for; null when it carries no session cookie (the
   * caller then tries HTTP Basic). A cookie of an ended or expired session is a 401 without a Basic
   * challenge (a challenge would make the browser pop up its own password dialog). A state-changing
   * request must echo the session's CSRF token in a header, which another site cannot read or send.
   */
  accountFor(req: IncomingMessage): string | null {
    if (cookieOf(req, SESSION_COOKIE) === null) return null;
    const session = this.current(req);
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

  private sweep(): void {
    const at = this.now();
    for (const [id, session] of this.sessions) {
      if (at - session.lastSeenAt > this.idleMs || at - session.createdAt > this.maxAgeMs) this.sessions.delete(id);
    }
  }
}
