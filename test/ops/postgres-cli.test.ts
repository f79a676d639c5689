/**
 * The built `mtm` with `store.postgres.url`: snapshots and lists through PostgreSQL (also when the
 * URL comes from MTM_STORE_POSTGRES_URL), and with PostgreSQL unreachable a snapshot exits ≠ 0
 * naming the server and the cause, earlier days stay intact, and `mtm doctor` fails the check —
 * never printing the URL's password.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { addUser, freePort, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { appendAll, buildCorpus } from '../../src/testbed/corpus.js';
import { createTestDatabase, startPostgresRelay, throughRelay, type TestDatabase } from '../fixtures/postgres.js';
import { liveClient, mtmJson, runMtm, startMtm, tempDir, writeConfig } from '../fixtures/mtm.js';

const ACCOUNT = 'ops-pg-ann';
const PASSWORD = 'ops-pg-secret-pw';

let database: TestDatabase;
let dir: string;
let reachable: string;
let unreachable: string;
let unreachablePort: number;

function withPassword(url: string, port?: number): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD; // trust auth ignores it; it must show up nowhere
  if (port) parsed.port = String(port);
  return parsed.toString();
}

function configIn(name: string, store: Record<string, unknown>): string {
  const sub = join(dir, name);
  mkdirSync(sub, { recursive: true });
  return writeConfig(sub, [ACCOUNT], { store: { path: join(dir, 'store'), ...store } });
}

beforeAll(async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'ops-pg-ann-pw');
  const live = await liveClient(ACCOUNT);
  await appendAll(live, 'INBOX', buildCorpus({ count: 6, seed: 14 }));
  await live.logout();
  database = await createTestDatabase();
  dir = tempDir('ops-pg');
  unreachablePort = await freePort();
  reachable = configIn('reachable', { postgres: { url: withPassword(database.url) } });
  unreachable = configIn('unreachable', { postgres: { url: withPassword(database.url, unreachablePort) } });
}, 60000);

afterAll(async () => {
  await database?.drop();
});

test('a snapshot goes to PostgreSQL; with PostgreSQL unreachable the next one fails naming it, and the earlier day is intact', async () => {
  const first = await runMtm(['snapshot', '-c', reachable, '--label', '2026-11-01']);
  expect(first.code).toBe(0);
  const failed = await runMtm(['snapshot', '-c', unreachable, '--label', '2026-11-02']);
  expect(failed.code).not.toBe(0);
  expect(failed.stderr).toContain(`PostgreSQL at 127.0.0.1:${unreachablePort} is unreachable: ECONNREFUSED`);
  expect(failed.stderr).not.toMatch(/^\s+at /m);
  for (const run of [first, failed]) expect(run.stdout + run.stderr).not.toContain(PASSWORD);
  const days = await mtmJson<{ day: string; messages: number }[]>(['list', '-c', reachable, '--account', ACCOUNT]);
  expect(days.map(({ day, messages }) => [day, messages])).toEqual([['2026-11-01', 6]]);
});

test('MTM_STORE_POSTGRES_URL points an embedded config at PostgreSQL', async () => {
  const embedded = configIn('embedded', {});
  const listed = await runMtm(['list', '-c', embedded, '--account', ACCOUNT, '--json'], { MTM_STORE_POSTGRES_URL: withPassword(database.url) });
  expect(listed.code).toBe(0);
  expect((JSON.parse(listed.stdout) as { day: string }[]).map(({ day }) => day)).toEqual(['2026-11-01']);
  const invalid = await runMtm(['list', '-c', embedded, '--account', ACCOUNT], { MTM_STORE_POSTGRES_URL: `mysql://mtm:${PASSWORD}@db/mtm` });
  expect(invalid.code).not.toBe(0);
  expect(invalid.stderr).toContain('store.postgres.url: must be empty (embedded SQLite) or a URL like postgres://user@host:5432/database');
  expect(invalid.stderr).not.toContain(PASSWORD);
});

test('mtm doctor checks PostgreSQL: a write probe when reachable, a failed check with a fix when not', async () => {
  const checksOf = async (file: string) => {
    const run = await runMtm(['doctor', '-c', file, '--json']);
    expect(run.stdout + run.stderr).not.toContain(PASSWORD);
    return { code: run.code, checks: JSON.parse(run.stdout) as { name: string; status: string; detail: string; fix?: string }[] };
  };
  const good = await checksOf(reachable);
  expect(good.checks.find((check) => check.name === 'postgres')).toMatchObject({ status: 'pass', detail: expect.stringContaining('PostgreSQL at 127.0.0.1:5432 answers and takes writes') });
  expect(good.checks.find((check) => check.name === 'store catalog')).toMatchObject({ status: 'pass', detail: expect.stringContaining('has the current schema') });
  const bad = await checksOf(unreachable);
  expect(bad.code).not.toBe(0);
  expect(bad.checks.find((check) => check.name === 'postgres')).toMatchObject({
    status: 'fail', detail: `PostgreSQL at 127.0.0.1:${unreachablePort} is unreachable: ECONNREFUSED`, fix: expect.stringContaining('store.postgres.url'),
  });
});

test('PostgreSQL lost in the middle of a snapshot: it exits ≠ 0 naming PostgreSQL, the day stays invisible, and the next run completes it', async () => {
  const relay = await startPostgresRelay();
  const cutMidway = configIn('cut-midway', { postgres: { url: withPassword(throughRelay(database.url, relay)) } });
  // Mid-capture: the capture is open and its first folder is being recorded (or carried forward).
  let cut = false;
  void relay.cutWhenSent(/UPDATE folder_versions SET (last|recorded)_seq|SELECT \* FROM folder_versions WHERE account_id = \$1 AND name/).then(() => (cut = true));
  const started = Date.now();
  const child = startMtm(['snapshot', '-c', cutMidway, '--label', '2026-11-03']);
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const code = await new Promise<number | null>((done) => child.on('close', (exitCode) => done(exitCode)));
  expect(cut).toBe(true);
  expect(code).not.toBe(0);
  expect(Date.now() - started).toBeLessThan(30_000);
  expect(stderr).toContain(`PostgreSQL at 127.0.0.1:${relay.port} is unreachable`);
  expect(stderr).not.toContain(PASSWORD);
  expect((await mtmJson<{ day: string }[]>(['list', '-c', reachable, '--account', ACCOUNT])).map(({ day }) => day)).toEqual(['2026-11-01']);
  await relay.mend();
  expect((await runMtm(['snapshot', '-c', cutMidway, '--label', '2026-11-03'])).code).toBe(0);
  expect((await mtmJson<{ day: string; messages: number }[]>(['list', '-c', reachable, '--account', ACCOUNT])).map(({ day, messages }) => [day, messages])).toEqual([['2026-11-01', 6], ['2026-11-03', 6]]);
  await relay.cut();
});
