/**
 * The Redis-backed restore queue, against the real Redis and the real Dovecot: a restore accepted by
 * one instance is run by another instance's worker (messages back, confirmation email in INBOX);
 * two instances on one prefix run each job exactly once; a job whose worker process was killed
 * mid-run is resumed by a new instance. Each test uses its own key prefix.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import type { ImapFlow } from 'imapflow';
import { Redis } from 'ioredis';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { BullRestoreQueue, reclaimAbandoned, restoreQueueFor } from '../../src/recovery/bull-queue.js';
import { SqliteJobStore } from '../../src/snapshots/store/embedded/sqlite-jobs.js';
import { InProcessQueue } from '../../src/recovery/queue.js';
import type { RestoreRequest } from '../../src/recovery/request.js';
import { RecoveryService } from '../../src/recovery/service.js';
import { openStore } from '../../src/snapshots/store/store.js';
import { addUser, testbedFromEnv } from '../../src/testbed/dovecot.js';
import { liveClient, runMtm, tempDir, writeConfig } from '../fixtures/mtm.js';
import { deleteUids, liveEntries, notices, populate, TODAY } from './helpers.js';

const REDIS_URL = 'redis://127.0.0.1:6379';
const ACCOUNT = 'recovery-bull-queue-cy';

const prefixes: string[] = [];
function freshPrefix(): string {
  const prefix = `mtm-test-${randomUUID().slice(0, 8)}`;
  prefixes.push(prefix);
  return prefix;
}

afterAll(async () => {
  const redis = new Redis(REDIS_URL);
  for (const prefix of prefixes) {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  }
  await redis.quit();
});

/** Runs every job it is given and remembers which. */
function recordingRunner(runs: string[]): (jobId: string) => Promise<void> {
  return async (jobId) => {
    await new Promise((done) => setTimeout(done, 5));
    runs.push(jobId);
  };
}

test('with redis.url, a restore accepted by one instance is run by another instance and completes on the live server', async () => {
  addUser(testbedFromEnv(), ACCOUNT, 'cy-pw');
  const live: ImapFlow = await liveClient(ACCOUNT);
  const dir = tempDir('bull-queue');
  // The snapshot itself runs without Redis: its claims would outlive the test under the default prefix.
  const configFile = writeConfig(dir, [ACCOUNT]);
  const withoutRedis = loadConfig(configFile);
  const config: Config = { ...withoutRedis, redis: { url: REDIS_URL } };
  const store = await openStore(config.store);
  const prefix = freshPrefix();
  // A accepts but never runs anything itself; B runs what A queued.
  const a = new RecoveryService({ config, store, queue: restoreQueueFor(config, { prefix, autostart: false }) });
  const b = new RecoveryService({ config, store, queue: restoreQueueFor(config, { prefix }) });
  try {
    await populate(live, 73);
    expect((await runMtm(['snapshot', '-c', configFile, '--label', TODAY])).code).toBe(0);
    expect(a.queue).toBeInstanceOf(BullRestoreQueue);
    const inProcess = new RecoveryService({ config: withoutRedis, store });
    expect(inProcess.queue).toBeInstanceOf(InProcessQueue);
    await inProcess.close();

    const before = await liveEntries(live, 'INBOX');
    await deleteUids(live, 'INBOX', [before[2].uid, before[5].uid]);
    const damaged = await liveEntries(live, 'INBOX');
    expect(damaged.length).toBeLessThan(before.length);

    const decision = await a.submit({ account: ACCOUNT, day: TODAY, scope: { kind: 'folder', folder: 'INBOX', subfolders: false }, mode: 'merge', requester: { kind: 'account', account: ACCOUNT }, origin: 'http' });
    expect(decision.accepted).toBe(true);
    const job = await a.whenDone(decision.jobId!);
    expect(job.status).toBe('done');
    expect(job.result).toMatchObject({ restored: before.length - damaged.length, failed: 0 });
    await a.queue.idle();
    await b.queue.idle();

    const strip = (entries: typeof before) => entries.map(({ uid: _uid, ...rest }) => ({ ...rest, flags: rest.flags.filter((flag) => flag !== '\\Deleted') }));
    expect(strip(await liveEntries(live, 'INBOX'))).toEqual(strip(before));
    const mails = await notices(live);
    const confirmation = mails.find((mail) => mail.raw.includes(decision.jobId!));
    expect(confirmation?.subject).toBe(`Restore completed: ${before.length - damaged.length} messages from ${TODAY}`);
  } finally {
    await a.close();
    await b.close();
    await store.close();
    await live.logout();
  }
});

test('two queues on one prefix share the work: each job runs exactly once, duplicates included, and whenDone/idle wait for it', async () => {
  const prefix = freshPrefix();
  const runsA: string[] = [];
  const runsB: string[] = [];
  const a = new BullRestoreQueue(recordingRunner(runsA), { url: REDIS_URL, prefix, autostart: false });
  const b = new BullRestoreQueue(recordingRunner(runsB), { url: REDIS_URL, prefix, autostart: false });
  try {
    const ids = Array.from({ length: 10 }, (_, i) => `job-${i}-${randomUUID()}`);
    for (const id of ids) await a.enqueue(id);
    // Enqueued again while still waiting: BullMQ already holds that id, so nothing is added.
    await a.enqueue(ids[0]);
    await b.enqueue(ids[1]);
    // No worker is running yet: nothing has run, and this instance's idle does not wait for others.
    await a.idle();
    expect([...runsA, ...runsB]).toEqual([]);

    b.resume();
    await a.whenDone(ids[9]);
    expect(runsB).toContain(ids[9]);
    a.resume();
    for (const id of ids) await a.whenDone(id);
    await a.idle();
    await b.idle();
    expect([...runsA, ...runsB].sort()).toEqual([...ids].sort());
    // A job enqueued on A only because A's worker was paused was taken from Redis by B.
    expect(runsB.length).toBeGreaterThan(0);

    // A finished job leaves Redis, so the same id can be enqueued again (a rerun) and runs again.
    await b.enqueue(ids[3]);
    await b.whenDone(ids[3]);
    expect([...runsA, ...runsB].filter((id) => id === ids[3])).toHaveLength(2);
    await a.whenDone('never-enqueued');
  } finally {
    await a.close();
    await b.close();
  }
});

test('a job whose worker process was killed mid-run is resumed by a new instance and finishes once', async () => {
  const prefix = freshPrefix();
  const dir = tempDir('bull-queue-crash');
  const request: RestoreRequest = { account: 'bull-queue-dee', day: TODAY, scope: { kind: 'account' }, mode: 'merge', requester: { kind: 'account', account: 'bull-queue-dee' }, origin: 'cli' };
  // The child claims a job, marks it running the way the service does, then hangs until killed.
  const script = `
    const { BullRestoreQueue } = await import(${JSON.stringify(resolve('dist/recovery/bull-queue.js'))});
    const { SqliteJobStore } = await import(${JSON.stringify(resolve('dist/snapshots/store/embedded/sqlite-jobs.js'))});
    const jobs = new SqliteJobStore(${JSON.stringify(dir)});
    const claim = await jobs.claim(${JSON.stringify(request)}, ${JSON.stringify(TODAY)}, 5);
    await jobs.update(claim.job.id, { status: 'queued' });
    const queue = new BullRestoreQueue(async (id) => {
      await jobs.update(id, { status: 'running' });
      process.stdout.write('running ' + id + '\\n');
      await new Promise(() => undefined);
    }, { url: ${JSON.stringify(REDIS_URL)}, prefix: ${JSON.stringify(prefix)}, lockMs: 1000, stalledCheckMs: 500 });
    await queue.enqueue(claim.job.id);`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((done) => child.on('exit', done));
  const jobId = await new Promise<string>((done, fail) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += chunk;
      const match = /running (\S+)\n/.exec(out);
      if (match) done(match[1]);
    });
    child.on('exit', (code) => fail(new Error(`child exited (${code}) before running the job: ${out}`)));
  });
  child.kill('SIGKILL');
  await exited;

  const jobs = new SqliteJobStore(dir);
  const runs: string[] = [];
  // What the service's runner does: run only a queued record, and finish it.
  const queue = new BullRestoreQueue(
    async (id) => {
      if ((await jobs.get(id))?.status !== 'queued') return;
      await jobs.update(id, { status: 'running' });
      runs.push(id);
      await jobs.update(id, { status: 'done' });
    },
    { url: REDIS_URL, prefix, lockMs: 1000, stalledCheckMs: 500, reclaim: (id) => reclaimAbandoned(jobs, id) },
  );
  try {
    expect((await jobs.get(jobId))?.status).toBe('running');
    await queue.whenDone(jobId);
    expect(runs).toEqual([jobId]);
    expect((await jobs.get(jobId))?.status).toBe('done');
    await queue.idle();
  } finally {
    await queue.close();
    await jobs.close();
  }
});
