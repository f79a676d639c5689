/**
 * Issue 6: the HTTP listener. /metrics moves when the scheduler snapshots an account of the real
 * Dovecot (and when one fails); /readyz turns unhealthy when a live server stops and healthy again
 * when it is back, and names Redis when Redis is unreachable; extra routes mount on the listener.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { startHttpServer, sendJson, type HttpServer } from '../../src/http/server.js';
import { silentLogger } from '../../src/log.js';
import { startScheduler } from '../../src/snapshots/scheduler/scheduler.js';
import { snapshotMetrics } from '../../src/metrics.js';
import { configuredAccounts } from '../../src/upstream/index.js';
import { runSnapshots } from '../../src/snapshots/snapshotter/run.js';
import { openStore, type Store } from '../../src/snapshots/store/store.js';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, removeTestbed, startDovecot, stopDovecot, testbedFromEnv, type DovecotTestbed } from '../../src/testbed/dovecot.js';
import { liveClient, tempDir } from '../fixtures/mtm.js';

const ACCOUNT = 'ops-http-alice';
const MESSAGES = 7;

function configFor(dir: string, upstream: { host: string; port: number }, extra: Record<string, unknown> = {}): Config {
  const testbed = testbedFromEnv();
  return validateConfig({
    upstream: { host: upstream.host, port: upstream.port, tls: 'none', timeoutSeconds: 3 },
    snapshot: { accounts: [ACCOUNT], auth: { mode: 'master', masterUser: testbed.masterUser, masterPassword: testbed.masterPassword }, schedule: '0 0 1 1 *' },
    store: { path: join(dir, 'store') },
    ...extra,
  });
}

async function get(server: HttpServer, path: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`http://127.0.0.1:${server.port}${path}`);
  return { status: response.status, text: await response.text() };
}

/** The value of one sample of the exposition text, 0 when the series does not exist yet. */
function sample(text: string, name: string, labels = ''): number {
  const series = labels ? `${name}{${labels}}` : name;
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

let dir: string;
let store: Store;

beforeAll(async () => {
  const testbed = testbedFromEnv();
  addUser(testbed, ACCOUNT, 'ops-http-pw');
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', Array.from({ length: MESSAGES }, (_, i) => generateMessage(i, 61)), () => ['\\Seen'], () => new Date(Date.UTC(2025, 5, 1)));
  await live.logout();
  dir = tempDir('ops-http');
  store = await openStore({ path: join(dir, 'store') });
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('/metrics', () => {
  let server: HttpServer;
  const testbed = () => testbedFromEnv();

  beforeAll(async () => {
    server = await startHttpServer({ host: '127.0.0.1', port: 0, store, config: configFor(dir, testbed()), logger: silentLogger });
  });
  afterAll(() => server.close());

  test('snapshot counters, run gauges and store gauges move when the scheduler snapshots an account', async () => {
    const before = await get(server, '/metrics');
    expect(before.status).toBe(200);
    const scheduler = startScheduler(configFor(dir, testbed()), store, silentLogger, { observer: snapshotMetrics });
    await scheduler.ready;
    await scheduler.stop();
    const after = (await get(server, '/metrics')).text;
    const delta = (name: string, labels = '') => sample(after, name, labels) - sample(before.text, name, labels);
    expect(delta('mtm_snapshot_runs_total', 'result="ok"')).toBe(1);
    expect(delta('mtm_snapshot_accounts_total', 'result="ok"')).toBe(1);
    expect(delta('mtm_snapshot_messages_total')).toBe(MESSAGES);
    expect(delta('mtm_snapshot_bytes_total')).toBeGreaterThan(MESSAGES * 100);
    expect(delta('mtm_snapshot_run_duration_seconds_count')).toBe(1);
    expect(sample(after, 'mtm_snapshot_last_run_messages')).toBe(MESSAGES);
    expect(sample(after, 'mtm_store_blobs')).toBe(MESSAGES);
    expect(sample(after, 'mtm_store_bytes', 'part="blobs"')).toBeGreaterThan(0);
    expect(sample(after, 'mtm_store_accounts')).toBe(1);
    expect(sample(after, 'mtm_store_accounts_by_days', 'days="1"')).toBe(1);
    expect(after).toContain('# TYPE mtm_imap_command_duration_seconds histogram');
    expect(after).toContain('process_cpu_seconds_total');
  });

  test('a failed account counts as a failure and the run as failed', async () => {
    const before = (await get(server, '/metrics')).text;
    const config = configFor(dir, { host: '127.0.0.1', port: await freePort() });
    const outcomes = await runSnapshots({ config, store, accounts: configuredAccounts(config.snapshot), day: '2026-01-02', logger: silentLogger, observer: snapshotMetrics });
    expect(outcomes.map((outcome) => outcome.ok)).toEqual([false]);
    const after = (await get(server, '/metrics')).text;
    expect(sample(after, 'mtm_snapshot_failures_total') - sample(before, 'mtm_snapshot_failures_total')).toBe(1);
    expect(sample(after, 'mtm_snapshot_runs_total', 'result="failed"') - sample(before, 'mtm_snapshot_runs_total', 'result="failed"')).toBe(1);
    expect(sample(after, 'mtm_snapshot_last_run_failures')).toBe(1);
  });

  test('/healthz answers, unknown paths are 404, and extra routes mount on the same listener', async () => {
    expect(await get(server, '/healthz')).toEqual({ status: 200, text: `${JSON.stringify({ status: 'ok' })}\n` });
    expect((await get(server, '/nothing-here')).status).toBe(404);
    server.addRoute(async (req, res) => {
      if (req.url !== '/restore/ping') return false;
      sendJson(res, 202, { pong: true });
      return true;
    });
    expect(await get(server, '/restore/ping')).toEqual({ status: 202, text: '{"pong":true}\n' });
  });
});

describe('/readyz', () => {
  let upstream: DovecotTestbed;
  let server: HttpServer;

  beforeAll(async () => {
    upstream = await startDovecot();
    server = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      store,
      config: configFor(dir, upstream, { redis: { url: 'redis://127.0.0.1:6379/0' } }),
      logger: silentLogger,
    });
  });
  afterAll(async () => {
    await server?.close();
    if (upstream) removeTestbed(upstream);
  });

  async function readyz(): Promise<{ status: number; body: { status: string; failed: string[]; checks: { name: string; ok: boolean; detail: string }[] } }> {
    const { status, text } = await get(server, '/readyz');
    return { status, body: JSON.parse(text) };
  }

  /** Polls until the answer has the wanted status (the daemon stops asynchronously). */
  async function readyzUntil(status: number) {
    for (let attempt = 0; ; attempt++) {
      const answer = await readyz();
      if (answer.status === status || attempt > 50) return answer;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  test('is ready while store, live server and Redis answer; unready naming the live server while it is stopped; ready again after', async () => {
    const healthy = await readyz();
    expect(healthy.status).toBe(200);
    expect(healthy.body.checks.map((check) => [check.name, check.ok])).toEqual([['store', true], ['live server', true], ['redis', true]]);

    stopDovecot(upstream);
    const down = await readyzUntil(503);
    expect(down.status).toBe(503);
    expect(down.body.status).toBe('unready');
    expect(down.body.failed).toEqual(['live server']);
    expect(down.body.checks.find((check) => check.name === 'live server')!.detail).toContain(`127.0.0.1:${upstream.port}`);

    upstream = await startDovecot({ root: upstream.root, port: upstream.port });
    const back = await readyzUntil(200);
    expect(back.status).toBe(200);
    expect(back.body.failed).toEqual([]);
  });

  test('names Redis when the configured Redis is unreachable', async () => {
    const redisless = await startHttpServer({
      host: '127.0.0.1',
      port: 0,
      store,
      config: configFor(dir, upstream, { redis: { url: `redis://127.0.0.1:${await freePort()}/0` } }),
      logger: silentLogger,
    });
    try {
      const { status, text } = await get(redisless, '/readyz');
      expect(status).toBe(503);
      expect(JSON.parse(text).failed).toEqual(['redis']);
    } finally {
      await redisless.close();
    }
  });
});
