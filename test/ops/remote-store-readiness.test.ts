/**
 * Issue 14: `/readyz` of `mtm serve` with the catalog in PostgreSQL and the blobs in S3 probes both
 * (a write, read and delete each): ready while both answer; unready naming the one that does not,
 * without its password; ready again once it is back. `/metrics` times the calls to each backend and
 * counts the failed ones.
 */
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { rmSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { appendAll, generateMessage } from '../../src/testbed/corpus.js';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { createTestDatabase, startPostgresRelay, type PostgresRelay, type TestDatabase } from '../fixtures/postgres.js';
import { rawClient } from '../fixtures/s3.js';
import { runS3rver, type RunningS3rver } from '../fixtures/s3rver.mjs';

const ACCOUNT = 'readyz-remote-kim';
const BUCKET = 'mtm-readyz-remote';
// PostgreSQL here trusts local connections, so any password is accepted: what matters is that none is ever shown.
const DATABASE_PASSWORD = 'pg-secret-never-shown-3391';

let dir: string;
let database: TestDatabase;
let relay: PostgresRelay;
let s3: RunningS3rver;
let serve: ChildProcess | undefined;
let httpPort: number;

interface Readiness {
  status: number;
  text: string;
  body: { status: string; failed: string[]; checks: { name: string; ok: boolean; detail: string }[] };
}

async function readyz(): Promise<Readiness> {
  const reply = await fetch(`http://127.0.0.1:${httpPort}/readyz`);
  const text = await reply.text();
  return { status: reply.status, text, body: JSON.parse(text) as Readiness['body'] };
}

const check = (readiness: Readiness, name: string) => readiness.body.checks.find((entry) => entry.name === name);

/** The backend-call histogram's sample counts, by backend and outcome. */
async function backendCalls(): Promise<Map<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const counts = new Map<string, number>();
  for (const match of text.matchAll(/^mtm_store_backend_call_duration_seconds_count\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries([...match[1].matchAll(/(\w+)="([^"]*)"/g)].map((label) => [label[1], label[2]]));
    const key = `${labels.backend} ${labels.outcome}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(match[2]));
  }
  return counts;
}

beforeAll(async () => {
  dir = tempDir('readyz-remote');
  database = await createTestDatabase();
  relay = await startPostgresRelay();
  s3 = await runS3rver();
  const credentials = { endpoint: s3.endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true };
  const client = rawClient(credentials);
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }));
  client.destroy();
  addUser(testbedFromEnv(), ACCOUNT, 'kim-live-pw');
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', [generateMessage(1, 61), generateMessage(2, 61)]);
  await live.logout();

  const url = new URL(database.url);
  url.port = String(relay.port);
  url.password = DATABASE_PASSWORD;
  httpPort = await freePort();
  const config = writeConfig(dir, [ACCOUNT], {
    snapshot: { schedule: '0 0 1 1 *' },
    store: { postgres: { url: url.toString() }, s3: { ...credentials, bucket: BUCKET, prefix: 'readyz' } },
    server: { port: await freePort() },
    http: { host: '127.0.0.1', port: httpPort },
  });
  serve = startMtm(['serve', '-c', config]);
  let log = '';
  serve.stderr!.on('data', (chunk) => (log += chunk));
  serve.stdout!.resume();
  // Listening, and the start-up snapshot (which writes through both backends) is over.
  for (let i = 0; i < 600 && !/snapshot run finished/.test(log); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  expect(log).toMatch(/snapshot run finished/);
}, 120_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    const closed = new Promise((resolve) => serve!.on('close', resolve));
    serve.kill('SIGTERM');
    await closed;
  }
  await relay?.cut().catch(() => undefined);
  await s3?.stop();
  await database?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('ready with PostgreSQL and S3 answering; unready naming the one that is gone; ready again when it is back', async () => {
  const ready = await readyz();
  expect(ready.status).toBe(200);
  expect(check(ready, 'postgres')).toEqual({ name: 'postgres', ok: true, detail: expect.stringMatching(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${relay.port}\\b.* takes writes`)) });
  expect(check(ready, 's3')).toEqual({ name: 's3', ok: true, detail: expect.stringMatching(/bucket mtm-readyz-remote.*: write, read and delete work$/) });
  const before = await backendCalls();
  expect(before.get('postgres ok')).toBeGreaterThan(0);
  expect(before.get('s3 ok')).toBeGreaterThan(0);

  // Object storage gone: S3 named, PostgreSQL still fine.
  await s3.stop({ keepObjects: true });
  const noS3 = await readyz();
  expect(noS3.status).toBe(503);
  expect(noS3.body.failed).toEqual(['s3']);
  expect(check(noS3, 's3')!.detail).toMatch(/S3 .*bucket mtm-readyz-remote/);
  expect(check(noS3, 'postgres')!.ok).toBe(true);
  expect((await backendCalls()).get('s3 error')).toBeGreaterThan(before.get('s3 error') ?? 0);
  s3 = await runS3rver({ port: s3.port, directory: s3.directory });
  expect((await readyz()).status).toBe(200);

  // PostgreSQL gone: named with its address, never its password.
  await relay.cut();
  const noPostgres = await readyz();
  expect(noPostgres.status).toBe(503);
  expect(noPostgres.body.failed).toEqual(['postgres']);
  expect(check(noPostgres, 'postgres')!.detail).toMatch(new RegExp(`^PostgreSQL at 127\\.0\\.0\\.1:${relay.port}\\b`));
  expect(noPostgres.text).not.toContain(DATABASE_PASSWORD);
  expect(ready.text).not.toContain(DATABASE_PASSWORD);
  await relay.mend();
  const back = await readyz();
  expect({ status: back.status, failed: back.body.failed }).toEqual({ status: 200, failed: [] });
}, 120_000);
