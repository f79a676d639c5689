/** Web sessions: only the session's own CSRF token lets a state-changing request through; idle and absolute expiry; cookie attributes. */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { ApiError } from '../../../src/recovery/http/router.js';
import { SESSION_COOKIE, WebSessions } from '../../../src/http/web/sessions.js';

function request(options: { method?: string; cookie?: string; token?: string; tls?: boolean }): IncomingMessage {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers.cookie = `theme=dark; ${SESSION_COOKIE}=${options.cookie}`;
  if (options.token !== undefined) headers['x-csrf-token'] = options.token;
  return { method: options.method ?? 'GET', headers, socket: { encrypted: options.tls ?? false } } as unknown as IncomingMessage;
}

function refusal(run: () => unknown): string | null {
  try {
    run();
    return null;
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}`;
    throw error;
  }
}

test('a request without the session cookie is left to HTTP Basic', () => {
  expect(new WebSessions().accountFor(request({}))).toBeNull();
});

test('reads go through with the cookie alone; every state-changing method needs the exact CSRF token', () => {
  const sessions = new WebSessions();
  const session = sessions.create('alice');
  expect(sessions.accountFor(request({ cookie: session.id }))).toBe('alice');
  expect(sessions.accountFor(request({ method: 'HEAD', cookie: session.id }))).toBe('alice');
  fc.assert(
    fc.property(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'), fc.option(fc.string({ maxLength: 64 }), { nil: undefined }), (method, token) => {
      fc.pre(token !== session.csrfToken);
      expect(refusal(() => sessions.accountFor(request({ method, cookie: session.id, token })))).toBe('403 csrf');
    }),
  );
  expect(sessions.accountFor(request({ method: 'POST', cookie: session.id, token: session.csrfToken }))).toBe('alice');
  // Another session's token is no good either.
  const other = sessions.create('bob');
  expect(refusal(() => sessions.accountFor(request({ method: 'POST', cookie: session.id, token: other.csrfToken })))).toBe('403 csrf');
});

test('an unknown, ended, idle or too old session is a 401 without a Basic challenge', () => {
  let now = 1_000_000;
  const sessions = new WebSessions({ idleSeconds: 60, maxAgeSeconds: 300, now: () => now });
  fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 80 }).filter((s) => !/[;\s]/.test(s)), (id) => {
    const error = (() => {
      try {
        sessions.accountFor(request({ cookie: id }));
      } catch (caught) {
        return caught as ApiError;
      }
      return null;
    })();
    expect(error?.status).toBe(401);
    expect(error?.code).toBe('session-expired');
    expect(error?.headers['www-authenticate']).toBeUndefined();
  }));

  const ended = sessions.create('alice');
  sessions.end(ended);
  expect(refusal(() => sessions.accountFor(request({ cookie: ended.id })))).toBe('401 session-expired');

  const idle = sessions.create('alice');
  now += 59_000;
  expect(sessions.accountFor(request({ cookie: idle.id }))).toBe('alice');
  now += 61_000;
  expect(refusal(() => sessions.accountFor(request({ cookie: idle.id })))).toBe('401 session-expired');

  const busy = sessions.create('alice');
  for (let i = 0; i < 5; i++) {
    now += 50_000;
    expect(sessions.accountFor(request({ cookie: busy.id }))).toBe('alice');
  }
  // Active (55 s since the last request) but signed in 305 s ago: over the 300 s maximum.
  now += 55_000;
  expect(refusal(() => sessions.accountFor(request({ cookie: busy.id })))).toBe('401 session-expired');
});

test('the cookie is HttpOnly and SameSite=Strict, Secure over TLS, and signing out clears it', () => {
  const sessions = new WebSessions();
  const session = sessions.create('alice');
  const plain = sessions.cookie(request({}), session);
  expect(plain).toContain(`${SESSION_COOKIE}=${session.id}`);
  expect(plain).toMatch(/; HttpOnly/);
  expect(plain).toMatch(/; SameSite=Strict/);
  expect(plain).not.toMatch(/Secure/);
  expect(sessions.cookie(request({ tls: true }), session)).toMatch(/; Secure/);
  expect(sessions.cookie(request({}), null)).toMatch(/^mtm_session=; Max-Age=0/);
  // Ids and tokens are long random strings, never the same twice.
  const ids = new Set(Array.from({ length: 200 }, () => sessions.create('x')).flatMap((s) => [s.id, s.csrfToken]));
  expect(ids.size).toBe(400);
});
