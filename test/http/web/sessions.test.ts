/**
 * Web sessions, in memory and in the real Redis: only the session's own CSRF token lets a
 * state-changing request through; idle and absolute expiry; cookie attributes; what Redis holds.
 */
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { ApiError } from '../../../src/http/router.js';
import { MemorySessionStore, RedisSessionStore, SESSION_COOKIE, WebSessions, type SessionStore } from '../../../src/http/web/sessions.js';

const REDIS_URL = process.env.MTM_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

function request(options: { method?: string; cookie?: string; token?: string; tls?: boolean }): IncomingMessage {
  const headers: Record<string, string> = {};
  if (options.cookie !== undefined) headers.cookie = `theme=dark; ${SESSION_COOKIE}=${options.cookie}`;
  if (options.token !== undefined) headers['x-csrf-token'] = options.token;
  return { method: options.method ?? 'GET', headers, socket: { encrypted: options.tls ?? false } } as unknown as IncomingMessage;
}

async function refusal(run: () => Promise<unknown>): Promise<string | null> {
  try {
    await run();
    return null;
  } catch (error) {
    if (error instanceof ApiError) return `${error.status} ${error.code}${error.headers['www-authenticate'] ? ' challenge' : ''}`;
    throw error;
  }
}

const stores: Array<[string, (now: () => number) => SessionStore]> = [
  ['memory', (now) => new MemorySessionStore(now)],
  ['redis', () => new RedisSessionStore(REDIS_URL, `mtm:test:web-session:${process.pid}:${Math.random()}:`)],
];

describe.each(stores)('sessions in %s', (_name, makeStore) => {
  let now = 1_000_000;
  let store: SessionStore;
  let sessions: WebSessions;

  beforeEach(() => {
    store = makeStore(() => now);
    sessions = new WebSessions({ idleSeconds: 60, maxAgeSeconds: 300, store, now: () => now });
  });
  afterEach(() => sessions.close());

  test('a request without the session cookie is left to HTTP Basic', async () => {
    expect(await sessions.accountFor(request({}))).toBeNull();
  });

  test('reads go through with the cookie alone; every state-changing method needs the exact CSRF token', async () => {
    const session = await sessions.create('alice');
    expect(await sessions.accountFor(request({ cookie: session.id }))).toBe('alice');
    expect(await sessions.accountFor(request({ method: 'HEAD', cookie: session.id }))).toBe('alice');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('POST', 'PUT', 'DELETE', 'PATCH'), fc.option(fc.string({ maxLength: 64 }), { nil: undefined }), async (method, token) => {
        fc.pre(token !== session.csrfToken);
        expect(await refusal(() => sessions.accountFor(request({ method, cookie: session.id, token })))).toBe('403 csrf');
      }),
      { numRuns: 50 },
    );
    expect(await sessions.accountFor(request({ method: 'POST', cookie: session.id, token: session.csrfToken }))).toBe('alice');
    const other = await sessions.create('bob');
    expect(await refusal(() => sessions.accountFor(request({ method: 'POST', cookie: session.id, token: other.csrfToken })))).toBe('403 csrf');
  });

  test('an unknown, ended, idle or too old session is a 401 without a Basic challenge', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }).filter((s) => !/[;\s]/.test(s)), async (id) => {
        expect(await refusal(() => sessions.accountFor(request({ cookie: id })))).toBe('401 session-expired');
      }),
      { numRuns: 50 },
    );
    const ended = await sessions.create('alice');
    await sessions.end(ended);
    expect(await refusal(() => sessions.accountFor(request({ cookie: ended.id })))).toBe('401 session-expired');

    const idle = await sessions.create('alice');
    now += 59_000;
    expect(await sessions.accountFor(request({ cookie: idle.id }))).toBe('alice');
    now += 61_000;
    expect(await refusal(() => sessions.accountFor(request({ cookie: idle.id })))).toBe('401 session-expired');

    const busy = await sessions.create('alice');
    for (let i = 0; i < 5; i++) {
      now += 50_000;
      expect(await sessions.accountFor(request({ cookie: busy.id }))).toBe('alice');
    }
    // Active (55 s since the last request) but signed in 305 s ago: over the 300 s maximum.
    now += 55_000;
    expect(await refusal(() => sessions.accountFor(request({ cookie: busy.id })))).toBe('401 session-expired');
  });
});

test('Redis holds the account and token under a hash of the session id, never the id itself, with an expiry', async () => {
  const prefix = `mtm:test:web-session:${process.pid}:keys:`;
  const sessions = new WebSessions({ store: new RedisSessionStore(REDIS_URL, prefix), idleSeconds: 120 });
  const redis = new Redis(REDIS_URL);
  try {
    const session = await sessions.create('alice');
    const keys = await redis.keys(`${prefix}*`);
    expect(keys).toHaveLength(1);
    expect(keys[0]).not.toContain(session.id);
    expect(await redis.get(keys[0])).not.toContain(session.id);
    const ttl = await redis.ttl(keys[0]);
    expect(ttl).toBeGreaterThan(100);
    expect(ttl).toBeLessThanOrEqual(120);
    // A second instance over the same Redis knows the session (several mtm serve behind one address).
    const other = new WebSessions({ store: new RedisSessionStore(REDIS_URL, prefix) });
    expect(await other.accountFor(request({ cookie: session.id }))).toBe('alice');
    await other.close();
    await sessions.end(session);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  } finally {
    redis.disconnect();
    await sessions.close();
  }
});

test('the Redis store down: 503, not a sign-in as nobody', async () => {
  const sessions = new WebSessions({ store: new RedisSessionStore('redis://127.0.0.1:1') });
  try {
    expect(await refusal(() => sessions.accountFor(request({ cookie: 'whatever' })))).toBe('503 unavailable');
  } finally {
    await sessions.close();
  }
});

test('the cookie is HttpOnly and SameSite=Strict, Secure over TLS, and signing out clears it', async () => {
  const sessions = new WebSessions();
  const session = await sessions.create('alice');
  const plain = sessions.cookie(request({}), session);
  expect(plain).toContain(`${SESSION_COOKIE}=${session.id}`);
  expect(plain).toMatch(/; HttpOnly/);
  expect(plain).toMatch(/; SameSite=Strict/);
  expect(plain).not.toMatch(/Secure/);
  expect(sessions.cookie(request({ tls: true }), session)).toMatch(/; Secure/);
  expect(sessions.cookie(request({}), null)).toMatch(/^mtm_session=; Max-Age=0/);
  const created = await Promise.all(Array.from({ length: 200 }, () => sessions.create('x')));
  expect(new Set(created.flatMap((s) => [s.id, s.csrfToken])).size).toBe(400);
});
