import { addressBlock, FailureLimits, type FailureLimitsOptions, type LimitCheck, type LimitVerdict } from '../../src/auth/failure-limits.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const runId = `${process.pid}-${Date.now()}`;
let prefixes = 0;
/** A fresh key space per test, so runs and tests never see each other's counts. */
const uniquePrefix = () => `mtm-test-limits-${runId}-${++prefixes}`;

const small: FailureLimitsOptions = {
  accountAndIp: { failures: 3, windowSeconds: 60, lockSeconds: 60 },
  ip: { failures: 5, windowSeconds: 60, lockSeconds: 60 },
  account: { failures: 0, windowSeconds: 60, lockSeconds: 60 },
};

async function fail(limits: FailureLimits, account: string, ip: string): Promise<void> {
  const verdict = await limits.begin(account, ip);
  if (!verdict.allowed) throw new Error('attempt unexpectedly refused');
  await limits.settle(verdict.reservation, 'failure');
}

function refusedBy(verdict: LimitVerdict | LimitCheck): string | null {
  return verdict.allowed ? null : verdict.scope;
}

describe('FailureLimits in memory', () => {
  test('reaching the account+IP limit refuses the next attempt from that address only', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 3; i++) await fail(limits, 'limits-alice', '192.0.2.1');
    expect(refusedBy(await limits.begin('limits-alice', '192.0.2.1'))).toBe('accountAndIp');
    expect((await limits.begin('limits-alice', '192.0.2.2')).allowed).toBe(true);
    expect((await limits.begin('limits-bob', '192.0.2.1')).allowed).toBe(true);
  });

  test('a success clears the account+IP count', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 2; i++) await fail(limits, 'limits-alice', '192.0.2.1');
    const good = await limits.begin('limits-alice', '192.0.2.1');
    if (!good.allowed) throw new Error('refused');
    await limits.settle(good.reservation, 'success');
    for (let i = 0; i < 2; i++) await fail(limits, 'limits-alice', '192.0.2.1');
    expect((await limits.begin('limits-alice', '192.0.2.1')).allowed).toBe(true);
  });

  test('attempts the live server did not judge give their count back', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 10; i++) {
      const verdict = await limits.begin('limits-alice', '192.0.2.1');
      if (!verdict.allowed) throw new Error('refused');
      await limits.settle(verdict.reservation, 'not-judged');
    }
    expect((await limits.begin('limits-alice', '192.0.2.1')).allowed).toBe(true);
  });

  test('the per-IP limit catches one address trying many accounts', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 5; i++) await fail(limits, `limits-user${i}`, '192.0.2.9');
    expect(refusedBy(await limits.begin('limits-someone-else', '192.0.2.9'))).toBe('ip');
  });

  test('the per-account limit catches many addresses trying one account', async () => {
    const limits = new FailureLimits({
      ...small,
      account: { failures: 4, windowSeconds: 60, lockSeconds: 60 },
      keyPrefix: uniquePrefix(),
    });
    for (let i = 0; i < 4; i++) await fail(limits, 'limits-target', `198.51.100.${i}`);
    expect(refusedBy(await limits.begin('limits-target', '198.51.100.200'))).toBe('account');
  });

  test('parallel attempts cannot all slip past the limit before their answers come back', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    const verdicts = await Promise.all(Array.from({ length: 8 }, () => limits.begin('limits-burst', '192.0.2.7')));
    expect(verdicts.filter((verdict) => verdict.allowed)).toHaveLength(3);
  });
});

describe('addressBlock', () => {
  test('IPv4 counts per address, also when written IPv4-mapped', () => {
    expect(addressBlock('192.0.2.1')).toBe('192.0.2.1');
    expect(addressBlock('::ffff:192.0.2.1')).toBe('192.0.2.1');
  });

  test('IPv6 counts per /64, however the address is written', () => {
    expect(addressBlock('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(addressBlock('2001:0DB8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(addressBlock('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBlock('::1')).toBe('0:0:0:0::/64');
  });

  test('one IPv6 host rotating addresses within its /64 stays counted as one client', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 1; i <= 3; i++) await fail(limits, 'limits-rotating', `2001:db8:0:1::${i}`);
    expect(refusedBy(await limits.begin('limits-rotating', '2001:db8:0:1::ffff'))).toBe('accountAndIp');
    expect((await limits.begin('limits-rotating', '2001:db8:0:2::1')).allowed).toBe(true);
  });
});

describe('FailureLimits over Redis', () => {
  test('two instances sharing one Redis share the lockout', async () => {
    const keyPrefix = uniquePrefix();
    const first = new FailureLimits({ ...small, keyPrefix }, REDIS_URL);
    const second = new FailureLimits({ ...small, keyPrefix }, REDIS_URL);
    try {
      for (let i = 0; i < 3; i++) await fail(first, 'limits-shared', '192.0.2.5');
      expect(refusedBy(await second.begin('limits-shared', '192.0.2.5'))).toBe('accountAndIp');
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('an instance with another key prefix does not see the lockout', async () => {
    const locked = new FailureLimits({ ...small, keyPrefix: uniquePrefix() }, REDIS_URL);
    const other = new FailureLimits({ ...small, keyPrefix: uniquePrefix() }, REDIS_URL);
    try {
      for (let i = 0; i < 3; i++) await fail(locked, 'limits-shared', '192.0.2.5');
      expect(refusedBy(await locked.begin('limits-shared', '192.0.2.5'))).toBe('accountAndIp');
      expect((await other.begin('limits-shared', '192.0.2.5')).allowed).toBe(true);
    } finally {
      await locked.close();
      await other.close();
    }
  });

  test('with Redis unreachable, limits still apply within the instance', async () => {
    const warnings: string[] = [];
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() }, 'redis://127.0.0.1:1', (message) => warnings.push(message));
    try {
      for (let i = 0; i < 3; i++) await fail(limits, 'limits-offline', '192.0.2.6');
      expect(refusedBy(await limits.begin('limits-offline', '192.0.2.6'))).toBe('accountAndIp');
      expect(warnings.length).toBeGreaterThan(0);
    } finally {
      await limits.close();
    }
  });
});

describe('FailureLimits.peek', () => {
  test('looking does not count: many looks leave every attempt free', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 20; i++) expect((await limits.peek('limits-peek', '192.0.2.30')).allowed).toBe(true);
    const verdicts = await Promise.all(Array.from({ length: 3 }, () => limits.begin('limits-peek', '192.0.2.30')));
    expect(verdicts.every((verdict) => verdict.allowed)).toBe(true);
  });

  test('a locked key, or one whose pending attempts fill the limit, is refused by a look', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    for (let i = 0; i < 3; i++) await fail(limits, 'limits-peek-locked', '192.0.2.31');
    const locked = await limits.peek('limits-peek-locked', '192.0.2.31');
    expect(refusedBy(locked)).toBe('accountAndIp');
    if (!locked.allowed) expect(locked.retryAfterSeconds).toBeGreaterThan(0);

    for (let i = 0; i < 3; i++) expect((await limits.begin('limits-peek-pending', '192.0.2.34')).allowed).toBe(true);
    expect(refusedBy(await limits.peek('limits-peek-pending', '192.0.2.34'))).toBe('accountAndIp');
  });

  test('a look reports counted failures, and forgive clears them', async () => {
    const limits = new FailureLimits({ ...small, keyPrefix: uniquePrefix() });
    expect(await limits.peek('limits-forgive', '192.0.2.32')).toEqual({ allowed: true, failuresCounted: false });
    for (let i = 0; i < 2; i++) await fail(limits, 'limits-forgive', '192.0.2.32');
    expect(await limits.peek('limits-forgive', '192.0.2.32')).toEqual({ allowed: true, failuresCounted: true });
    await limits.forgive('limits-forgive', '192.0.2.32');
    expect(await limits.peek('limits-forgive', '192.0.2.32')).toEqual({ allowed: true, failuresCounted: false });
  });

  test('over Redis, a look sees the lock another instance set', async () => {
    const keyPrefix = uniquePrefix();
    const first = new FailureLimits({ ...small, keyPrefix }, REDIS_URL);
    const second = new FailureLimits({ ...small, keyPrefix }, REDIS_URL);
    try {
      expect((await second.peek('limits-peek-shared', '192.0.2.33')).allowed).toBe(true);
      for (let i = 0; i < 3; i++) await fail(first, 'limits-peek-shared', '192.0.2.33');
      expect(refusedBy(await second.peek('limits-peek-shared', '192.0.2.33'))).toBe('accountAndIp');
    } finally {
      await first.close();
      await second.close();
    }
  });
});
