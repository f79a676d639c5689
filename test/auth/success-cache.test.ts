import { SuccessCache } from '../../src/auth/success-cache.js';

describe('SuccessCache', () => {
  test('a remembered success matches the same account and password', async () => {
    const cache = new SuccessCache(60_000);
    cache.remember('cache-alice', await cache.fingerprint('cache-alice', 'right-password'));
    expect(cache.has('cache-alice', await cache.fingerprint('cache-alice', 'right-password'))).toBe(true);
  });

  test('a wrong password never matches a cached success', async () => {
    const cache = new SuccessCache(60_000);
    cache.remember('cache-alice', await cache.fingerprint('cache-alice', 'right-password'));
    expect(cache.has('cache-alice', await cache.fingerprint('cache-alice', 'wrong-password'))).toBe(false);
    expect(cache.has('cache-alice', await cache.fingerprint('cache-alice', ''))).toBe(false);
  });

  test('the same password of another account does not match', async () => {
    const cache = new SuccessCache(60_000);
    cache.remember('cache-alice', await cache.fingerprint('cache-alice', 'shared-password'));
    expect(cache.has('cache-bob', await cache.fingerprint('cache-bob', 'shared-password'))).toBe(false);
  });

  test('the fingerprint is not the password and differs between processes (per-instance salt)', async () => {
    const first = new SuccessCache(60_000);
    const second = new SuccessCache(60_000);
    const password = 'salted-password';
    const hash = await first.fingerprint('cache-alice', password);
    expect(hash.toString('utf8')).not.toContain(password);
    expect(hash.equals(await first.fingerprint('cache-alice', password))).toBe(true);
    expect(hash.equals(await second.fingerprint('cache-alice', password))).toBe(false);
  });

  test('an entry is forgotten once its time is up', async () => {
    const cache = new SuccessCache(300_000);
    const fingerprint = await cache.fingerprint('cache-alice', 'right-password');
    const realNow = Date.now;
    const start = realNow();
    try {
      Date.now = () => start;
      cache.remember('cache-alice', fingerprint);
      Date.now = () => start + 299_000;
      expect(cache.has('cache-alice', fingerprint)).toBe(true);
      Date.now = () => start + 301_000;
      expect(cache.has('cache-alice', fingerprint)).toBe(false);
    } finally {
      Date.now = realNow;
    }
  });

  test('a zero lifetime remembers nothing', async () => {
    const cache = new SuccessCache(0);
    const fingerprint = await cache.fingerprint('cache-alice', 'right-password');
    cache.remember('cache-alice', fingerprint);
    expect(cache.has('cache-alice', fingerprint)).toBe(false);
  });

  test('the oldest entries make room when the cache is full', async () => {
    const cache = new SuccessCache(60_000, 2);
    const fingerprints = await Promise.all(['a', 'b', 'c'].map((name) => cache.fingerprint(`cache-${name}`, 'pw')));
    ['a', 'b', 'c'].forEach((name, index) => cache.remember(`cache-${name}`, fingerprints[index]!));
    expect(cache.size).toBe(2);
    expect(cache.has('cache-a', fingerprints[0]!)).toBe(false);
    expect(cache.has('cache-c', fingerprints[2]!)).toBe(true);
  });
});
