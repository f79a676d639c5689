/**
 * Issue 6: several instances against one Redis. Two schedulers over one store start at the same
 * time and both want all 20 accounts for today: each account gets exactly one capture. The lock of
 * a holder that died expires; a live holder's lock is renewed; a failed snapshot is handed back.
 */
import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Redis } from 'ioredis';
import { validateConfig } from '../../src/config/load.js';
import { RedisSnapshotClaims } from '../../src/coordination/snapshot-claims.js';
import { silentLogger } from '../../src/log.js';
import { dayIn } from '../../src/snapshots/day-label.js';
import { startScheduler } from '../../src/snapshots/scheduler/scheduler.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, tempDir } from '../fixtures/mtm.js';

const REDIS_URL = 'redis://127.0.0.1:6379/0';
const ACCOUNTS = Array.from({ length: 20 }, (_, i) => `ops-inst-${String(i).padStart(2, '0')}`);

let redis: Redis;
const keyPrefix = `mtm-test-${randomUUID()}`;

beforeAll(() => {
  redis = new Redis(REDIS_URL);
});

afterAll(async () => {
  const keys = await redis.keys(`${keyPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

describe('two instances sharing Redis', () => {
  let dir: string;

  beforeAll(async () => {
    const testbed = testbedFromEnv();
    for (const [index, account] of ACCOUNTS.entries()) {
      addUser(testbed, account, `${account}-pw`);
      const live = await liveClient(account);
      await appendAll(live, 'INBOX', [generateMessage(index, 67), generateMessage(index + 100, 67)], () => [], () => new Date(Date.UTC(2025, 2, 3)));
      await live.logout();
    }
    dir = tempDir('ops-instances');
  }, 120000);

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('each of 20 accounts gets exactly one snapshot for the day, and a second run on both finds them done', async () => {
    const testbed = testbedFromEnv();
    const config = validateConfig({
      upstream: { host: testbed.host, port: testbed.port, tls: 'none', timeoutSeconds: 10 },
      snapshot: {
        accounts: ACCOUNTS,
        auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: testbed.masterPassword },
        schedule: '0 0 1 1 *',
        concurrency: 3,
      },
      store: { path: join(dir, 'store') },
      redis: { url: REDIS_URL },
    });
    const today = dayIn(config.snapshot.timezone);
    // Two instances: each its own store connection and scheduler, one store and one Redis.
    const stores = [await openStore(config.store), await openStore(config.store)];
    const schedulers = stores.map((store) => startScheduler(config, store, silentLogger, { redisClaims: { keyPrefix } }));
    // Both start-up catch-ups find all 20 accounts missing for today and go for them at once.
    await Promise.all(schedulers.map((scheduler) => scheduler.ready));

    const again = await Promise.all(schedulers.map((scheduler) => scheduler.runNow(today)));
    expect(again).toEqual([[], []]);

    await Promise.all(schedulers.map((scheduler) => scheduler.stop()));
    await Promise.all(stores.map((store) => store.close()));

    const db = new Database(join(config.store.path, 'catalog.sqlite'), { readonly: true });
    const rows = db
      .prepare('SELECT a.name AS account, c.status AS status, count(*) AS captures FROM captures c JOIN accounts a ON a.id = c.account_id WHERE c.label = ? GROUP BY a.name, c.status ORDER BY a.name')
      .all(today) as { account: string; status: string; captures: number }[];
    db.close();
    expect(rows).toEqual(ACCOUNTS.map((account) => ({ account, status: 'committed', captures: 1 })));
    for (const account of ACCOUNTS) expect(await redis.exists(`${keyPrefix}:snapshot:${today}:${account}:done`)).toBe(1);
    expect(await redis.keys(`${keyPrefix}:snapshot:${today}:*:lock`)).toEqual([]);
  }, 180000);
});

describe('snapshot claims in Redis', () => {
  const day = '2026-03-04';

  test('a dead holder\'s lock blocks others only until it expires', async () => {
    const claims = new RedisSnapshotClaims(REDIS_URL, { keyPrefix, lockTtlMs: 5000 });
    try {
      const { lock } = claims.keys('dead-holder', day);
      // What a holder leaves behind when it is killed: a lock nobody renews.
      await redis.set(lock, 'killed-instance', 'PX', 400);
      expect(await claims.claim('dead-holder', day)).toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 600));
      const claim = await claims.claim('dead-holder', day);
      expect(claim).not.toBeNull();
      await claim!.finish();
      expect(await claims.claim('dead-holder', day)).toBeNull();
      expect(await claims.claim('dead-holder', '2026-03-05')).not.toBeNull();
    } finally {
      await claims.close();
    }
  });

  test('a live holder keeps its lock past the expiry by renewing it; releasing hands the account back', async () => {
    const holder = new RedisSnapshotClaims(REDIS_URL, { keyPrefix, lockTtlMs: 900 });
    const other = new RedisSnapshotClaims(REDIS_URL, { keyPrefix, lockTtlMs: 900 });
    try {
      const claim = await holder.claim('long-runner', day);
      expect(claim).not.toBeNull();
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect(await other.claim('long-runner', day)).toBeNull();
      // A failed snapshot is released, not marked done: the next run may try again.
      await claim!.release();
      const retry = await other.claim('long-runner', day);
      expect(retry).not.toBeNull();
      await retry!.release();
    } finally {
      await holder.close();
      await other.close();
    }
  });

  test('without Redis reachable, a claim is granted so the night is not lost', async () => {
    const warnings: string[] = [];
    const claims = new RedisSnapshotClaims('redis://127.0.0.1:1/0', { keyPrefix, warn: (message) => warnings.push(message) });
    try {
      expect(await claims.claim('no-redis', day)).not.toBeNull();
      expect(warnings).toEqual(['Redis unreachable: snapshotting without coordination']);
    } finally {
      await claims.close();
    }
  });
});
