/**
 * An instance that commits an account's day and dies before marking the claim done leaves only a
 * lock, which expires. The next coordinated run must not take that day a second time: the catalog
 * already holds it, so the claim is marked done and the account skipped.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { RedisSnapshotClaims } from '../../src/coordination/snapshot-claims.js';
import { silentLogger } from '../../src/log.js';
import { runSnapshots } from '../../src/snapshots/snapshotter/run.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, tempDir } from '../fixtures/mtm.js';

const REDIS_URL = 'redis://127.0.0.1:6379/0';
const ACCOUNT = 'claims-after-crash';
const DAY = '2026-11-10';

test('a day committed without its done marker is marked done by the next run, not snapshotted again', async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ACCOUNT, 'crash-pw');
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', [generateMessage(1, 5), generateMessage(2, 5)]);
  await live.logout();
  const dir = tempDir('claims-after-crash');
  const keyPrefix = `mtm-test-${randomUUID()}`;
  const redis = new Redis(REDIS_URL);
  const config = validateConfig({
    upstream: { host: testbed.host, port: testbed.port, tls: 'none', timeoutSeconds: 10 },
    snapshot: { accounts: [ACCOUNT], auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: testbed.masterPassword } },
    store: { path: join(dir, 'store') },
  });
  const store = await openStore(config.store);
  const claims = new RedisSnapshotClaims(REDIS_URL, { keyPrefix });
  try {
    const accounts = [{ user: ACCOUNT, credentials: { mode: 'master' as const, masterUser: testbed.masterUser, masterPassword: testbed.masterPassword } }];
    // The day committed, as by the instance that then died: no claim went through Redis.
    const [first] = await runSnapshots({ config, store, accounts, day: DAY, logger: silentLogger });
    expect(first.ok).toBe(true);
    const seq = await store.catalog.captureForDay(ACCOUNT, DAY);

    const skipped: string[] = [];
    const again = await runSnapshots({ config, store, accounts, day: DAY, logger: silentLogger, claims, onAccountSkipped: (account) => skipped.push(account) });
    expect({ again, skipped }).toEqual({ again: [], skipped: [ACCOUNT] });
    expect(await store.catalog.captureForDay(ACCOUNT, DAY)).toBe(seq);
    expect(await redis.exists(claims.keys(ACCOUNT, DAY).done)).toBe(1);
    expect(await redis.exists(claims.keys(ACCOUNT, DAY).lock)).toBe(0);
  } finally {
    await claims.close();
    await store.close();
    const keys = await redis.keys(`${keyPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
});
