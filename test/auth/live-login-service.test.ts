import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { LiveLoginService, type AuthLogger, type LiveLoginOptions } from '../../src/auth/live-login-service.js';
import { type LiveServer, type VerifyPassword, verifyWithLiveServer } from '../../src/upstream/index.js';
import type { LoginResult, SnapshotView } from '../../src/proxy/ports.js';

const testbed = testbedFromEnv();
// Dovecot slows repeated failures from one address down (auth penalty, up to 15 s): allow for it.
const upstream: LiveServer = { host: testbed.host, port: testbed.port, tls: 'none', timeoutMs: 30_000 };
const REDIS_URL = 'redis://127.0.0.1:6379';
const runId = `${process.pid}-${Date.now()}`;

const USER = 'login-service-alice';
const PASSWORD = 'Login-Service-Secret-42!';
const WRONG = 'Not-The-Password-13';
const CLIENT = '203.0.113.10';

/** Every line the services under test logged, to prove no password ever reaches a log. */
const logged: string[] = [];
const logger: AuthLogger = {
  info: (object, message) => logged.push(JSON.stringify({ object, message })),
  warn: (object, message) => logged.push(JSON.stringify({ object, message })),
};

/** The real live check, counted: the tests see how many live logins actually happened. */
function countingVerifier(): { verify: VerifyPassword; liveLogins: () => number } {
  let count = 0;
  return {
    verify: (server, user, password) => {
      count += 1;
      return verifyWithLiveServer(server, user, password);
    },
    liveLogins: () => count,
  };
}

/** A stand-in for the lead's snapshot views: records what it was asked for. */
function viewFactory(knownDays: string[] = ['2026-11-23']) {
  const requests: Array<{ account: string; day: string | null }> = [];
  const factory = async (account: string, day: string | null): Promise<SnapshotView | null> => {
    requests.push({ account, day });
    if (day !== null && !knownDays.includes(day)) return null;
    return { account, listMailboxes: async () => [], openMailbox: async () => null };
  };
  return { factory, requests };
}

const services: LiveLoginService[] = [];
function service(options: Partial<LiveLoginOptions> = {}, factory = viewFactory().factory): LiveLoginService {
  const created = new LiveLoginService(factory, { upstream, failureDelayMs: 0, logger, ...options });
  services.push(created);
  return created;
}

function failure(result: LoginResult): { code: string; text: string } {
  if (result.ok) throw new Error('login unexpectedly succeeded');
  return { code: result.code, text: result.text };
}

beforeAll(() => {
  addUser(testbed, USER, PASSWORD);
});

afterAll(async () => {
  await Promise.all(services.map((created) => created.close()));
  const everything = logged.join('\n');
  expect(everything).not.toContain(PASSWORD);
  expect(everything).not.toContain(WRONG);
});

describe('LiveLoginService against the live Dovecot', () => {
  test('the right password logs in and opens the account view', async () => {
    const views = viewFactory();
    const result = await service({}, views.factory).login(USER, PASSWORD, CLIENT);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.account).toBe(USER);
      expect(result.view.account).toBe(USER);
    }
    expect(views.requests).toEqual([{ account: USER, day: null }]);
  });

  test('a wrong password is AUTHENTICATIONFAILED with a plain text', async () => {
    const result = await service().login(USER, WRONG, CLIENT);
    expect(failure(result)).toEqual({ code: 'AUTHENTICATIONFAILED', text: 'Invalid credentials' });
  });

  test('an unreachable live server is UNAVAILABLE, and nothing returned carries the password', async () => {
    const closed = await freePort();
    const result = await service({ upstream: { ...upstream, port: closed } }).login(USER, PASSWORD, CLIENT);
    expect(failure(result)).toEqual({
      code: 'UNAVAILABLE',
      text: 'The mail server is not answering; try again in a few minutes',
    });
    expect(JSON.stringify(result)).not.toContain(PASSWORD);
    expect(logged.some((line) => line.includes('ECONNREFUSED'))).toBe(true);
  });

  test('a cached success spares the second live login, but never for a wrong password', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    expect((await logins.login(USER, PASSWORD, CLIENT)).ok).toBe(true);
    expect(counter.liveLogins()).toBe(1);
    expect((await logins.login(USER, PASSWORD, '203.0.113.11')).ok).toBe(true);
    expect(counter.liveLogins()).toBe(1);
    expect(failure(await logins.login(USER, WRONG, CLIENT)).code).toBe('AUTHENTICATIONFAILED');
    expect(counter.liveLogins()).toBe(2);
  });

  test('a client opening ten connections at once causes one live login', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    const results = await Promise.all(Array.from({ length: 10 }, () => logins.login(USER, PASSWORD, CLIENT)));
    expect(results.every((result) => result.ok)).toBe(true);
    expect(counter.liveLogins()).toBe(1);
  });

  test('with the cache off, every login asks the live server', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify, cacheSeconds: 0 });
    expect((await logins.login(USER, PASSWORD, CLIENT)).ok).toBe(true);
    expect((await logins.login(USER, PASSWORD, CLIENT)).ok).toBe(true);
    expect(counter.liveLogins()).toBe(2);
  });
});

describe('LiveLoginService day logins', () => {
  test('a day suffix checks the account password and opens that day', async () => {
    const views = viewFactory(['2026-11-23']);
    const result = await service({}, views.factory).login(`${USER}#2026-11-23`, PASSWORD, CLIENT);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.account).toBe(USER);
    expect(views.requests).toEqual([{ account: USER, day: '2026-11-23' }]);
  });

  test('the separator is configurable', async () => {
    const views = viewFactory(['2026-11-23']);
    const result = await service({ daySeparator: '+' }, views.factory).login(`${USER}+2026-11-23`, PASSWORD, CLIENT);
    expect(result.ok).toBe(true);
    expect(views.requests).toEqual([{ account: USER, day: '2026-11-23' }]);
  });

  test('a day without a snapshot is refused with a clear text', async () => {
    const result = await service({}, viewFactory(['2026-11-23']).factory).login(`${USER}#2026-11-20`, PASSWORD, CLIENT);
    expect(failure(result)).toEqual({ code: 'AUTHENTICATIONFAILED', text: 'No snapshot for that day' });
  });

  test('an impossible date or a malformed name is refused without asking the live server', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    expect(failure(await logins.login(`${USER}#2026-02-30`, PASSWORD, CLIENT)).code).toBe('AUTHENTICATIONFAILED');
    expect(failure(await logins.login(`${USER}#2026-11-23#2026-11-24`, PASSWORD, CLIENT)).code).toBe('AUTHENTICATIONFAILED');
    expect(failure(await logins.login('#2026-11-23', PASSWORD, CLIENT)).code).toBe('AUTHENTICATIONFAILED');
    expect(counter.liveLogins()).toBe(0);
  });
});

describe('LiveLoginService failure limits', () => {
  test('after ten wrong passwords from one address, even the right one is refused there without a live login', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    // The same wrong password each time: Dovecot then does not raise its own penalty further.
    for (let attempt = 0; attempt < 10; attempt++) {
      expect(failure(await logins.login(USER, WRONG, CLIENT)).code).toBe('AUTHENTICATIONFAILED');
    }
    expect(counter.liveLogins()).toBe(10);
    const refused = failure(await logins.login(USER, PASSWORD, CLIENT));
    expect(refused.code).toBe('LIMIT');
    expect(refused.text).not.toContain(PASSWORD);
    expect(counter.liveLogins()).toBe(10);
    // The lock is for this account from this address: the user elsewhere is not locked out.
    expect((await logins.login(USER, PASSWORD, '203.0.113.99')).ok).toBe(true);
  });

  test('two instances sharing one Redis share the lockout', async () => {
    const limits = {
      accountAndIp: { failures: 3, windowSeconds: 120, lockSeconds: 120 },
      keyPrefix: `mtm-test-login-service-${runId}`,
    };
    const first = service({ redisUrl: REDIS_URL, limits });
    const counter = countingVerifier();
    const second = service({ redisUrl: REDIS_URL, limits, verify: counter.verify });
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(failure(await first.login(USER, WRONG, '203.0.113.20')).code).toBe('AUTHENTICATIONFAILED');
    }
    expect(failure(await second.login(USER, PASSWORD, '203.0.113.20')).code).toBe('LIMIT');
    expect(counter.liveLogins()).toBe(0);
  });
});

describe('LiveLoginService under parallel logins', () => {
  /** Small enough that any per-connection counting would show at once. */
  const tight = { accountAndIp: { failures: 3, windowSeconds: 120, lockSeconds: 120 } };

  test('thirty parallel logins with the right password all succeed, with one live login', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    const results = await Promise.all(Array.from({ length: 30 }, () => logins.login(USER, PASSWORD, '203.0.113.40')));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(counter.liveLogins()).toBe(1);
  });

  test('equal parallel logins hold one count, even with a limit of three', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify, limits: tight });
    const results = await Promise.all(Array.from({ length: 30 }, () => logins.login(USER, PASSWORD, '203.0.113.41')));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(counter.liveLogins()).toBe(1);
  });

  test('a client reconnecting fifty times at once with a cached password never meets the limit', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify, limits: tight });
    expect((await logins.login(USER, PASSWORD, '203.0.113.42')).ok).toBe(true);
    const results = await Promise.all(Array.from({ length: 50 }, () => logins.login(USER, PASSWORD, '203.0.113.42')));
    expect(results.filter((result) => !result.ok)).toEqual([]);
    expect(counter.liveLogins()).toBe(1);
  });

  test('twelve different wrong guesses at once still lock out the right password', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    const guesses = Array.from({ length: 12 }, (_, i) => `Parallel-Guess-${i}`);
    const results = await Promise.all(guesses.map((guess) => logins.login(USER, guess, '203.0.113.43')));
    const codes = results.map((result) => failure(result).code).sort();
    expect(codes).toEqual([...Array<string>(10).fill('AUTHENTICATIONFAILED'), 'LIMIT', 'LIMIT']);
    expect(counter.liveLogins()).toBe(10);
    expect(failure(await logins.login(USER, PASSWORD, '203.0.113.43')).code).toBe('LIMIT');
    expect(counter.liveLogins()).toBe(10);
    // The lock is for that address only. (This live success also lifts the penalty Dovecot put on
    // our address after ten different wrong passwords, which would slow the other test files.)
    expect((await logins.login(USER, PASSWORD, '203.0.113.50')).ok).toBe(true);
  });

  test('the same wrong password sent twelve times at once is not twelve guesses', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify });
    const results = await Promise.all(Array.from({ length: 12 }, () => logins.login(USER, WRONG, '203.0.113.44')));
    // Counted one each, ten of them would fill the limit and the last two would meet LIMIT.
    expect(results.map((result) => failure(result).code)).toEqual(Array<string>(12).fill('AUTHENTICATIONFAILED'));
    expect(counter.liveLogins()).toBeLessThan(10);
    expect((await logins.login(USER, PASSWORD, '203.0.113.44')).ok).toBe(true);
  });

  test('a cached password does not open a locked account+address, so guessing cannot go on against the cache', async () => {
    const counter = countingVerifier();
    const logins = service({ verify: counter.verify, limits: tight });
    expect((await logins.login(USER, PASSWORD, '203.0.113.45')).ok).toBe(true);
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(failure(await logins.login(USER, WRONG, '203.0.113.45')).code).toBe('AUTHENTICATIONFAILED');
    }
    expect(failure(await logins.login(USER, PASSWORD, '203.0.113.45')).code).toBe('LIMIT');
    expect(counter.liveLogins()).toBe(4);
    // Elsewhere the cached success still answers without a live login.
    expect((await logins.login(USER, PASSWORD, '203.0.113.46')).ok).toBe(true);
    expect(counter.liveLogins()).toBe(4);
  });

  test('a cached success clears the mistakes counted before it', async () => {
    const logins = service({ limits: tight });
    expect((await logins.login(USER, PASSWORD, '203.0.113.47')).ok).toBe(true);
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(failure(await logins.login(USER, WRONG, '203.0.113.47')).code).toBe('AUTHENTICATIONFAILED');
    }
    expect((await logins.login(USER, PASSWORD, '203.0.113.47')).ok).toBe(true);
    // Without the reset, the third of these would reach the limit of three and lock.
    for (let attempt = 0; attempt < 3; attempt++) {
      expect(failure(await logins.login(USER, WRONG, '203.0.113.47')).code).toBe('AUTHENTICATIONFAILED');
    }
  });

  test('over a shared Redis, parallel right logins pass and parallel guesses lock out both instances', async () => {
    const limits = { ...tight, keyPrefix: `mtm-test-login-service-parallel-${runId}` };
    const first = service({ redisUrl: REDIS_URL, limits });
    const counter = countingVerifier();
    const second = service({ redisUrl: REDIS_URL, limits, verify: counter.verify });
    const right = await Promise.all(Array.from({ length: 30 }, () => first.login(USER, PASSWORD, '203.0.113.48')));
    expect(right.filter((result) => !result.ok)).toEqual([]);
    const guesses = Array.from({ length: 5 }, (_, i) => `Redis-Guess-${i}`);
    const wrong = await Promise.all(guesses.map((guess) => first.login(USER, guess, '203.0.113.49')));
    expect(wrong.map((result) => failure(result).code).sort()).toEqual(['AUTHENTICATIONFAILED', 'AUTHENTICATIONFAILED', 'AUTHENTICATIONFAILED', 'LIMIT', 'LIMIT']);
    expect(failure(await second.login(USER, PASSWORD, '203.0.113.49')).code).toBe('LIMIT');
    expect(counter.liveLogins()).toBe(0);
    // A live success lifts the penalty Dovecot put on our address for the different wrong passwords.
    expect((await second.login(USER, PASSWORD, '203.0.113.51')).ok).toBe(true);
  });
});
