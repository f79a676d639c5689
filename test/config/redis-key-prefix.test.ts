/**
 * `redis.keyPrefix`: absent means `mtm` (the keys every earlier version used); `MTM_REDIS_KEY_PREFIX`
 * sets it; anything that is not a plain word of letters, digits, "_", "." or "-" (it becomes part of
 * Redis key names, where ":" separates levels) is refused naming the key.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { RedisSnapshotClaims } from '../../src/coordination/snapshot-claims.js';

const dir = mkdtempSync(join(tmpdir(), 'mtm-config-redis-prefix-'));
const empty = join(dir, 'empty.yaml');
writeFileSync(empty, '');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('absent: the claims keep the keys they always had; MTM_REDIS_KEY_PREFIX sets another', () => {
  expect(loadConfig(empty, {}).redis.keyPrefix).toBeUndefined();
  const claims = new RedisSnapshotClaims('redis://127.0.0.1:1/0', { keyPrefix: loadConfig(empty, {}).redis.keyPrefix });
  expect(claims.keys('ann', '2026-11-20').lock).toBe('mtm:snapshot:2026-11-20:ann:lock');
  void claims.close();
  expect(loadConfig(empty, { MTM_REDIS_KEY_PREFIX: 'mtm-eu.2' }).redis.keyPrefix).toBe('mtm-eu.2');
});

test('a prefix with anything but letters, digits, "_", "." and "-" is refused naming the key', () => {
  fc.assert(
    fc.property(fc.string({ minLength: 0, maxLength: 12 }).filter((text) => !/^[A-Za-z0-9_.-]+$/.test(text)), (prefix) => {
      const file = join(dir, 'bad.yaml');
      writeFileSync(file, JSON.stringify({ redis: { keyPrefix: prefix } }));
      let error: unknown;
      try {
        loadConfig(file, {});
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toContain('redis.keyPrefix');
    }),
    { numRuns: 60 },
  );
});
