/**
 * The store with `store.postgres.url` set, as instances use it: restore jobs shared between
 * processes (claimed once, followed from anywhere, reaped when their process is killed), and a
 * server that is unreachable — at open, or later and back again — reported naming PostgreSQL and
 * the cause, never the password.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { RestoreRequest } from '../../../src/recovery/request.js';
import { JobStoreUnavailable } from '../../../src/recovery/jobs.js';
import { openStore, probeStore, StorageError, checkStoreIntegrity, type Store } from '../../../src/snapshots/store/store.js';
import { createTestDatabase, startPostgresRelay, type TestDatabase } from '../../fixtures/postgres.js';

let database: TestDatabase;
const stores: Store[] = [];

beforeAll(async () => {
  database = await createTestDatabase();
});

afterAll(async () => {
  await Promise.all(stores.map((store) => store.close().catch(() => {})));
  await database.drop();
});

async function open(url = database.url): Promise<Store> {
  const store = await openStore({ path: mkdtempSync(join(tmpdir(), 'mtm-pg-store-')), postgres: { url } }, 'write');
  stores.push(store);
  return store;
}

function requestFor(account: string): RestoreRequest {
  return { account, day: '2026-11-20', scope: { kind: 'folder', folder: 'INBOX', subfolders: false }, mode: 'merge', requester: { kind: 'account', account }, origin: 'imap' };
}

/** Another instance (dist/, as `mtm` runs): claims a restore for the account, marks it running, reports, and runs until killed. */
const INSTANCE = `
const [storeModule, url, path, account] = process.argv.slice(1);
const { openStore } = await import(storeModule);
const store = await openStore({ path, postgres: { url } }, 'write');
const request = { account, day: '2026-11-20', scope: { kind: 'folder', folder: 'INBOX', subfolders: false }, mode: 'merge', requester: { kind: 'account', account }, origin: 'imap' };
const claim = await store.jobs.claim(request, '2026-11-24', 5);
if (claim.claimed) await store.jobs.update(claim.job.id, { status: 'running' });
console.log(JSON.stringify(claim));
setInterval(() => {}, 60000);
`;

async function restoreInAnotherProcess(account: string) {
  const args = ['--input-type=module', '-e', INSTANCE, resolve('dist/snapshots/store/store.js'), database.url, mkdtempSync(join(tmpdir(), 'mtm-pg-other-')), account];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    claim: JSON.parse(line) as { claimed: boolean; job?: { id: string }; conflict?: string },
    async kill() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('a restore claimed by one instance is seen by another, which cannot claim the account too; once that process is killed, it is reaped as interrupted', async () => {
  const here = await open();
  const other = await restoreInAnotherProcess('shared-ann');
  try {
    expect(other.claim.claimed).toBe(true);
    const id = other.claim.job!.id;
    expect(await here.jobs.get(id)).toMatchObject({ id, account: 'shared-ann', status: 'running' });
    expect((await here.jobs.list('shared-ann')).map((job) => job.id)).toEqual([id]);
    expect(await here.jobs.claim(requestFor('shared-ann'), '2026-11-24', 5)).toMatchObject({ claimed: false, conflict: 'busy', active: { id } });
    expect(await here.jobs.reapAbandoned()).toEqual([]);
    await other.kill();
    // The server notices the closed connection soon, not at once.
    let reaped: { id: string; status: string }[] = [];
    for (let attempt = 0; attempt < 100 && reaped.length === 0; attempt++) {
      reaped = await here.jobs.reapAbandoned();
      if (reaped.length === 0) await new Promise((done) => setTimeout(done, 50));
    }
    expect(reaped.map((job) => [job.id, job.status])).toEqual([[id, 'interrupted']]);
    expect((await here.jobs.requeue(id)).claimed).toBe(true);
  } finally {
    await other.kill().catch(() => {});
  }
});

test('several processes asking at once for one account: exactly one restore is claimed', async () => {
  const others = await Promise.all([1, 2, 3, 4].map(() => restoreInAnotherProcess('race-bob')));
  try {
    expect(others.filter(({ claim }) => claim.claimed)).toHaveLength(1);
    expect(others.filter(({ claim }) => claim.conflict === 'busy')).toHaveLength(3);
  } finally {
    await Promise.all(others.map((other) => other.kill()));
  }
});

test('an unreachable server at open is a StorageError naming PostgreSQL and the cause, without the password', async () => {
  const url = 'postgres://mtm:pg-secret-word@127.0.0.1:9/mtm';
  const error = await openStore({ path: mkdtempSync(join(tmpdir(), 'mtm-pg-down-')), postgres: { url } }, 'write').catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(StorageError);
  expect(error).toMatchObject({ kind: 'unavailable', backend: 'PostgreSQL mtm@127.0.0.1:9/mtm', message: 'PostgreSQL at 127.0.0.1:9 is unreachable: ECONNREFUSED' });
  const [, probe] = await probeStore({ path: mkdtempSync(join(tmpdir(), 'mtm-pg-down-')), postgres: { url } });
  expect(probe).toMatchObject({ part: 'postgres', ok: false, detail: 'PostgreSQL at 127.0.0.1:9 is unreachable: ECONNREFUSED' });
  expect(JSON.stringify([probe, (error as Error).stack, (error as StorageError).detail])).not.toContain('pg-secret-word');
});

test('the live store probes writable, reports its size and a current schema', async () => {
  const store = await open();
  expect(store.description).toMatch(/^PostgreSQL postgres@127\.0\.0\.1:5432\/mtm_test_\w+ \+ /);
  const probes = await store.probe();
  expect(probes.find((probe) => probe.part === 'postgres')).toMatchObject({ ok: true, detail: expect.stringMatching(/^PostgreSQL at 127\.0\.0\.1:5432 answers and takes writes \(\d+ ms\)$/) });
  expect((await store.sizes()).catalogBytes).toBeGreaterThan(100_000);
  expect(await store.checkIntegrity({ thorough: false })).toMatchObject({ ok: true, text: expect.stringContaining('has the current schema (5 migrations)') });
  expect(await checkStoreIntegrity({ path: '/nonexistent', postgres: { url: database.url } }, { thorough: true })).toMatchObject({ ok: true });
});


test('a server lost while open: reads fail naming PostgreSQL, restores are refused in words for the user, and all recovers when it returns', async () => {
  const relay = await startPostgresRelay();
  const url = new URL(database.url);
  url.port = String(relay.port);
  url.password = 'relay-secret-word';
  const store = await open(url.toString());
  const { capture } = await store.catalog.startCapture('lost-cy', '2026-11-24');
  await store.catalog.commitCapture(capture);
  await relay.cut();
  const failure = await store.catalog.days('lost-cy').catch((caught: unknown) => caught);
  expect(failure).toBeInstanceOf(StorageError);
  expect((failure as StorageError).kind).toBe('unavailable');
  expect((failure as Error).message).toBe(`PostgreSQL at 127.0.0.1:${relay.port} is unreachable: ECONNREFUSED`);
  expect(store.describeFailure(failure)).toBe(failure);
  const refused = await store.jobs.claim(requestFor('lost-cy'), '2026-11-24', 5).catch((caught: unknown) => caught);
  expect(refused).toBeInstanceOf(JobStoreUnavailable);
  expect((refused as Error).message).toBe('restores are unavailable: the snapshot store is unreachable');
  expect((await store.probe()).find((probe) => probe.part === 'postgres')).toMatchObject({ ok: false });
  await relay.mend();
  expect((await store.catalog.days('lost-cy')).map((day) => day.day)).toEqual(['2026-11-24']);
  expect((await store.jobs.claim(requestFor('lost-cy'), '2026-11-24', 5)).claimed).toBe(true);
  expect(JSON.stringify(failure) + String((failure as Error).stack)).not.toContain('relay-secret-word');
  await relay.cut();
});

test('every catalog and job-store call is timed for /metrics, failures included', async () => {
  const calls: { backend: string; operation: string; seconds: number; ok: boolean }[] = [];
  const relay = await startPostgresRelay();
  const url = new URL(database.url);
  url.port = String(relay.port);
  const store = await openStore({ path: mkdtempSync(join(tmpdir(), 'mtm-pg-timed-')), postgres: { url: url.toString() } }, 'write', { backendCall: (call) => calls.push(call) });
  stores.push(store);
  await store.catalog.days('timed-dee');
  await store.jobs.list('timed-dee');
  await relay.cut();
  await expect(store.catalog.accounts()).rejects.toThrow(StorageError);
  expect(calls.map(({ backend, operation, ok }) => [backend, operation, ok])).toEqual([['postgres', 'days', true], ['postgres', 'list', true], ['postgres', 'accounts', false]]);
  for (const { seconds } of calls) expect(seconds).toBeGreaterThan(0);
});
